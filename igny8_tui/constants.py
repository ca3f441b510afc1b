"""Constants with meaning, in one place, with their unit in the name."""

from __future__ import annotations

# Hosts and leases (the lease TTL itself is a setting: lease_ttl_s)
DAEMON_POLL_INTERVAL_S = 1.0
SCHEDULE_CHECK_INTERVAL_S = 60.0
DAEMON_MAX_RUNS = 4
# A host renews each lease it holds this many times per lease TTL.
HEARTBEATS_PER_TTL = 4
# A host's own heartbeat (its `hosts` row) is written about four times per lease TTL, never
# more often than this.
HOST_BEAT_MIN_INTERVAL_S = 1.0
# A run's lease is stuck once its holder has missed this many heartbeats (one every TTL/4).
STUCK_AFTER_MISSED_BEATS = 2
# A host silent for this many of its lease TTLs, without a clean stop, is gone.
HOST_GONE_AFTER_TTLS = 3
# The hosts view lists hosts seen (or that claimed a run) this recently, besides every holder.
HOSTS_SHOWN_FOR_S = 24 * 3600
# A host not seen for this long is forgotten when another host registers.
HOSTS_KEPT_FOR_S = 7 * 24 * 3600

# `igny8 serve`: where it listens unless told, and how long a browser tab's dashboard has to
# quit (its tab closed, or the server stopping) before it is killed
SERVE_DEFAULT_HOST = "127.0.0.1"
SERVE_DEFAULT_PORT = 8000
SERVE_TAB_QUIT_TIMEOUT_S = 5.0
# A browser that stops answering websocket pings for this long has its tab closed
SERVE_HEARTBEAT_S = 15.0

# How often a waiting host or a follower re-reads the database
POLL_INTERVAL_S = 0.5
# How long `igny8 resume` waits to name the host that continues the run (a waiting host polls
# every POLL_INTERVAL_S, a daemon every DAEMON_POLL_INTERVAL_S).
RESUME_PICKUP_WAIT_S = 3.0

# Activity log and history
HISTORY_LIMIT = 20
DEFAULT_LOG_LINES = 50
MAX_ERRORS_PER_STAGE_RESULT = 20
UP_NEXT_ITEMS = 3
# The most log lines one dashboard refresh reads
LOG_BATCH_LINES = 500

# Stage 7 has no batch size in the spec's config; it publishes in batches of this many
# An image's alt text: its prompt, cut at a word within this many characters.
ALT_TEXT_MAX_CHARS = 120
PUBLISH_BATCH_SIZE = 10

# The largest value of an INTEGER column on PostgreSQL (32 bits; SQLite's hold 64)
DB_INTEGER_MAX = 2**31 - 1

# Credits
ESTIMATE_BUFFER_MULTIPLIER = 1.2
# The most one grant (`igny8 credits --add`) adds, and the most a balance holds: milli-credits
# are kept in INTEGER columns
MAX_GRANT_CREDITS = 1_000_000
MAX_BALANCE_MILLI = DB_INTEGER_MAX

# Keyword files: a keyword and its normalised form fit their columns, and so does a volume
MAX_KEYWORD_CHARS = 300
MAX_KEYWORD_VOLUME = DB_INTEGER_MAX

# Sites: a name and a domain fit their columns
MAX_SITE_NAME_CHARS = 200
MAX_SITE_DOMAIN_CHARS = 255
