"""Timestamps as the control plane reads them (liberally) and stamps them (whole seconds, UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tm_tui.emulator.control_plane.errors import ApiError


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_time(value: Any) -> datetime:
    """RFC 3339 (with Z or an offset), a bare date, or unix seconds — be liberal in what we accept."""
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ApiError(400, f"invalid timestamp {text!r}: expected RFC 3339") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
