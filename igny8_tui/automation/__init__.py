"""The automation engine: the service, the stages, the run executor, credits, lock and log."""
