"""The new-key form of Account's API keys tab: name, scopes and expiry, checked in place, and the
request that creates the key. The form stays open until the server has made the key, so a failure
leaves nothing half-done."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Input

from tm_tui.screens.account_hints import in_form
from tm_tui.text_safety import sanitize
from tm_tui.widgets.form_modal import FieldErrors, FormModal, check_text

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import ApiKey

SCOPE = re.compile(r"^[A-Za-z0-9_.:-]+$")
MAX_EXPIRY_DAYS = 5 * 366


@dataclass(frozen=True)
class NewKey:
    name: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


def parse_scopes(text: str) -> tuple[str, ...]:
    """Comma- or space-separated scope names; raises ValueError on a malformed one."""
    scopes = tuple(part for part in re.split(r"[,\s]+", text.strip()) if part)
    bad = [scope for scope in scopes if not SCOPE.match(scope)]
    if bad:
        raise ValueError(f"“{sanitize(bad[0])}” is not a scope name (letters, digits and _ . : - only).")
    return tuple(dict.fromkeys(scopes))


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """ "never" / empty → None; a number of days (`90`, `90d`); or a date (`2027-01-31`, end of that
    day UTC). Raises ValueError when it is in the past or more than five years away."""
    value = text.strip().lower()
    if value in ("", "never"):
        return None
    if match := re.fullmatch(r"(\d{1,5})\s*d?", value):
        days = int(match.group(1))
        if days < 1:
            raise ValueError("An expiry in days must be at least 1.")
        expires = now + timedelta(days=days)
    else:
        try:
            expires = datetime.combine(date.fromisoformat(value), datetime.max.time(), UTC).replace(
                microsecond=0
            )
        except ValueError:
            raise ValueError("Write never, a number of days (90) or a date (2027-01-31).") from None
        if expires <= now:
            raise ValueError("That date is in the past.")
    if expires - now > timedelta(days=MAX_EXPIRY_DAYS):
        raise ValueError("An expiry must be within five years.")
    return expires


class NewKeyScreen(FormModal[NewKey, "ApiKey"]):
    SUBMIT_LABEL = "Creating the key…"

    def __init__(self, submit: Callable[[NewKey], Awaitable[ApiKey]], now: datetime) -> None:
        super().__init__(
            "New API key",
            submit,
            intro="The key is shown once after it is created. Scopes and expiry are optional.",
        )
        self.now = now

    def compose_fields(self) -> ComposeResult:
        yield from self.field("Name", Input(placeholder="e.g. laptop", id="key-name", max_length=64))
        yield from self.field("Scopes (comma-separated)", Input(value="inference", id="key-scopes"))
        yield from self.field(
            "Expires", Input(placeholder="never, days (90) or a date (2027-01-31)", id="key-expiry")
        )

    def read(self) -> NewKey:
        errors: dict[str, str] = {}
        name = self.value("key-name")
        if problem := check_text(name, "The name", required=True, max_length=64):
            errors["key-name"] = problem
        scopes: tuple[str, ...] = ()
        expires = None
        try:
            scopes = parse_scopes(self.value("key-scopes"))
        except ValueError as error:
            errors["key-scopes"] = str(error)
        try:
            expires = parse_expiry(self.value("key-expiry"), self.now)
        except ValueError as error:
            errors["key-expiry"] = str(error)
        if errors:
            raise FieldErrors(errors)
        return NewKey(name, scopes, expires)


async def create_key(client: ControlPlaneClient, request: NewKey) -> ApiKey:
    """Create the key; a reply without the secret is an error (the key may exist: the list shows it)."""
    from tm_tui.api.errors import ProtocolError, TmError

    try:
        key = await client.create_api_key(request.name, request.scopes or None, request.expires_at)
    except TmError as error:
        raise in_form(error, "create API keys") from None
    if not key.id:
        raise ProtocolError(
            "The server made the key but did not send it.",
            hint="Revoke it from the list (d) and create another.",
        )
    return key
