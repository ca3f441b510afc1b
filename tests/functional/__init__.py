"""Tests through the engine, the igny8 command (in-process and real processes) and the
dashboard, over real SQLite databases."""
