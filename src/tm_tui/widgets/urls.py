"""How a base URL is shown on screen. Screens call it through the module (`urls.display_url`), so
snapshot tests can swap it for one that pins the emulator's random ports to fixed placeholders."""

from __future__ import annotations

from tm_tui.widgets.error_panel import sanitize


def display_url(url: str) -> str:
    """A URL from the settings (or a server) as plain, control-free text."""
    return sanitize(url)
