"""Server timestamps (RFC 3339 text) shown short and safe: `2026-03-01 12:00`."""

from __future__ import annotations

from tm_tui.widgets.error_panel import sanitize


def stamp(timestamp: str | None) -> str:
    """Date and minute of an RFC 3339 string; any other text is shown as it came (sanitised)."""
    if not timestamp:
        return "—"
    if len(timestamp) >= 16 and timestamp[10] in "T ":
        return sanitize(f"{timestamp[:10]} {timestamp[11:16]}")
    return sanitize(timestamp)
