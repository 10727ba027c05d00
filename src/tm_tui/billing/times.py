"""Server timestamps (RFC 3339, UTC) shown in local time with the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_time(text: str | None) -> datetime | None:
    """An aware datetime, or None for a missing or unreadable timestamp (never raises)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_text(moment: datetime | None, *, seconds: bool = False) -> str:
    """`2026-03-01 13:00 CET` in the machine's zone; `—` when unknown."""
    if moment is None:
        return "—"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def loaded_text(moment: datetime) -> str:
    """When a panel was loaded: `loaded 13:00:05 CET`."""
    return moment.astimezone().strftime("loaded %H:%M:%S %Z")


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` the user typed; ValueError with a readable message otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip() or 'an empty date'!r} is not a date like 2026-03-01") from None
