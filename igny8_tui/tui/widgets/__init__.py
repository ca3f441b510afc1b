"""Widgets of the dashboard's main view."""
