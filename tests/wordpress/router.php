<?php
/*
 * The router of the test WordPress under `php -S` (tests/wordpress_site.py), doing what Apache's
 * rewrite rules do for WordPress: an existing static file is served as it is, an existing PHP
 * file (or a directory's index.php) is run, and any other path goes to index.php, so pretty
 * permalinks and /wp-json/ work.
 *
 * ABSPATH is the document root: the test site's own directory, whose wp-config.php WordPress then
 * reads instead of Debian's (which would look for /etc/wordpress/config-<host>.php).
 */
define('ABSPATH', rtrim($_SERVER['DOCUMENT_ROOT'], '/') . '/');

$path = '/' . ltrim(rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)), '/');
$file = ABSPATH . ltrim($path, '/');

if (is_dir($file)) {
    if (substr($path, -1) !== '/') {
        header('Location: ' . $path . '/', true, 301);
        return true;
    }
    $file .= 'index.php';
}
if (!is_file($file)) {
    $file = ABSPATH . 'index.php';
} elseif (substr($file, -4) !== '.php') {
    return false;
}
chdir(dirname($file));
require $file;
