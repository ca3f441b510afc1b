"""Stage 7: hand finished articles to a publish target."""
