"""The operator dashboard: a Textual app over the automation engine."""
