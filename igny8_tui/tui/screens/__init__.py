"""Screens the dashboard pushes over its main view."""
