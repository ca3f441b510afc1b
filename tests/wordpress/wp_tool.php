<?php
/*
 * Set-up steps of the test WordPress (tests/wordpress_site.py) that the REST API does not offer,
 * run in WordPress itself from the command line:
 *
 *   php wp_tool.php SITE_DIR HOST setup ADMIN_LOGIN TIMEZONE
 *       pretty permalinks (/%postname%/), the site's time zone, and an application password
 *       for the administrator
 *   php wp_tool.php SITE_DIR HOST add-user LOGIN ROLE
 *       a user with that role, and an application password for them
 *
 * HOST is the site's host:port, as WordPress knows it. Each prints one JSON object; a failure
 * exits 1 with its message on stderr.
 */
[, $site_dir, $host, $command] = $argv;
$_SERVER['HTTP_HOST'] = $host;
define('ABSPATH', rtrim($site_dir, '/') . '/');
require ABSPATH . 'wp-load.php';

function fail(string $message): void
{
    fwrite(STDERR, $message . "\n");
    exit(1);
}

function application_password(WP_User $user): string
{
    $created = WP_Application_Passwords::create_new_application_password(
        $user->ID,
        array('name' => 'igny8 tests')
    );
    if (is_wp_error($created)) {
        fail($created->get_error_message());
    }
    return $created[0];
}

if ($command === 'setup') {
    [, , , , $admin_login, $timezone] = $argv;
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure('/%postname%/');
    update_option('timezone_string', $timezone);
    flush_rewrite_rules(false);
    $admin = get_user_by('login', $admin_login);
    if (!$admin) {
        fail("no user $admin_login");
    }
    echo json_encode(array('app_password' => application_password($admin)));
} elseif ($command === 'add-user') {
    [, , , , $login, $role] = $argv;
    $id = wp_insert_user(array(
        'user_login' => $login,
        'user_pass' => wp_generate_password(24),
        'user_email' => $login . '@example.test',
        'role' => $role,
    ));
    if (is_wp_error($id)) {
        fail($id->get_error_message());
    }
    echo json_encode(array('app_password' => application_password(get_user_by('id', $id))));
} else {
    fail("unknown command $command");
}
