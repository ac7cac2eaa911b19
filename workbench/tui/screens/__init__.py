"""The TUI screens: one screen (or pushed screen) per module."""
