"""Fast tests: pure functions and files in a temporary directory; no processes, no engine run,
no dashboard."""
