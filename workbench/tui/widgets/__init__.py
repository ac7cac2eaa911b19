"""Reusable TUI widgets, each with its own DEFAULT_CSS."""
