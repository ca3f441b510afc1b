"""igny8-tui: a terminal operator console for the igny8 SEO content pipeline."""

__version__ = "0.1.0"
