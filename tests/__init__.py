"""Tests of igny8-tui: unit/ (pure functions and a database in tmp) and functional/ (the
engine, the igny8 command, real processes and the dashboard)."""
