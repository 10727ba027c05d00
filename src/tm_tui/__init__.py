"""tm-tui: a keyboard-first terminal app for the Tensormesh AI platform."""

__version__ = "0.1.0"
