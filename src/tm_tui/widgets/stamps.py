"""Server timestamps (RFC 3339 text) shown short and safe: `2026-03-01 12:00`."""

from __future__ import annotations

from tm_tui.text_safety import sanitize


def stamp(timestamp: str | None, *, seconds: bool = False) -> str:
    """Date and minute (or second) of an RFC 3339 string; any other text is shown as it came (sanitised)."""
    if not timestamp:
        return "—"
    end = 19 if seconds else 16
    if len(timestamp) >= end and timestamp[10] in "T ":
        return sanitize(f"{timestamp[:10]} {timestamp[11:end]}")
    return sanitize(timestamp)
