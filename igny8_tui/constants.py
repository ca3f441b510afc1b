"""Constants with meaning, in one place, with their unit in the name."""

from __future__ import annotations

# Hosts and leases (the lease TTL itself is a setting: lease_ttl_s)
DAEMON_POLL_INTERVAL_S = 1.0
SCHEDULE_CHECK_INTERVAL_S = 60.0
DAEMON_MAX_RUNS = 4

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
PUBLISH_BATCH_SIZE = 10

# Credits
ESTIMATE_BUFFER_MULTIPLIER = 1.2
