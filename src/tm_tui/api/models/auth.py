"""Bodies of the `tm` CLI login flow (`/auth/cli/*`, reference §7.3); snake_case like the CLI."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from tm_tui.api.models.base import WireModel

DEFAULT_POLL_INTERVAL_S = 2.0


class CliLoginStart(WireModel):
    """Reply of `POST /auth/cli/start`."""

    auth_url: str
    cli_code: str = Field(repr=False)
    interval: float = DEFAULT_POLL_INTERVAL_S

    @field_validator("interval", mode="before")
    @classmethod
    def _sane_interval(cls, value: Any) -> Any:
        # A missing, null or non-positive interval falls back to the CLI's default.
        if value is None or (isinstance(value, int | float) and value <= 0):
            return DEFAULT_POLL_INTERVAL_S
        return value


class TokenSet(WireModel):
    """The token reply of exchange/refresh; only `access_token` is required (stored verbatim)."""

    access_token: str = Field(min_length=1, repr=False)
    refresh_token: str | None = Field(default=None, repr=False)
