<?php
/*
 * Loaded by the test WordPress on every request (tests/wordpress_site.py copies it into
 * wp-content/mu-plugins). The test machine has no mail transport: mail fails at once instead
 * of running a sendmail that is not there.
 */
add_filter('pre_wp_mail', '__return_false');
