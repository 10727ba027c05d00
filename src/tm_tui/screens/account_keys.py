"""The API keys tab of Account: the user's keys with their status (active / expired / revoked), a
name filter and a status filter, the new-key form, and revoking.

`ApiKeysPane` owns the table: its workers load and revoke, and its handlers are the only code that
changes what it shows. A failed load keeps the last good list on screen with the error above it.
Creating a key happens in `NewKeyScreen` (a `FormModal`): it stays open until the server has made
the key, so a failure leaves nothing half-done.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tm_tui.config.secrets import mask
from tm_tui.screens.account_hints import explain, in_form
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.form_modal import FieldErrors, FormModal, check_text

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import ApiKey

STATUSES = ("active", "expired", "revoked")
STATUS_FILTERS: tuple[str | None, ...] = (None, *STATUSES)
SCOPE = re.compile(r"^[A-Za-z0-9_.:-]+$")
MAX_EXPIRY_DAYS = 5 * 366
COLUMNS = ("Name", "Key", "Scopes", "Created", "Expires", "Status", "In use")


def day(timestamp: str | None) -> str:
    return sanitize(timestamp[:10]) if timestamp else "—"


def key_status(key: ApiKey, now: datetime) -> str:
    """`active`, `expired` or `revoked` (an unparseable expiry counts as active: the server decides)."""
    if key.deleted_at:
        return "revoked"
    if key.expires_at:
        try:
            expires = datetime.fromisoformat(key.expires_at)
        except ValueError:
            return "active"
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires <= now:
            return "expired"
    return "active"


# -- the new-key form ----------------------------------------------------------------------------
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


# -- the pane ------------------------------------------------------------------------------------
class ApiKeysPane(Vertical):
    class Loaded(Message):
        def __init__(self, keys: list[ApiKey] | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.keys, self.error = keys, error

    class Revoked(Message):
        def __init__(self, key: ApiKey, in_use: bool, error: BaseException | None = None) -> None:
            super().__init__()
            self.key, self.in_use, self.error = key, in_use, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: list[ApiKey] | None = None  # the last good list; None until one arrived
        self.rows: dict[str, ApiKey] = {}  # row key → key; the id is the secret, never a row key
        self.status_filter: str | None = None
        self.active_key: str | None = None  # the profile's inference key, to mark "in use"
        self.now = datetime.now(UTC)
        self.note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="keys-filters"):
            yield Input(placeholder="filter by name (/)", id="keys-filter")
            yield Static("", id="keys-status-filter", markup=False)
        yield Static("", id="keys-message", markup=False)
        yield ErrorPanel(id="keys-error")
        yield DataTable(id="api-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        self.query_one("#keys-error", ErrorPanel).display = False
        self._show_status_filter()

    # -- what the screen asks for --------------------------------------------------------------------
    def not_available(self, reason: str) -> None:
        self.keys = None
        self.query_one("#keys-error", ErrorPanel).display = False
        self.query_one(DataTable).clear()
        self.query_one(DataTable).display = False
        self._say(reason)

    def load(self, client: ControlPlaneClient, now: datetime, active_key: str | None) -> None:
        self.now, self.active_key = now, active_key
        self.query_one(DataTable).loading = self.keys is None
        self.fetch(client)

    def follow_key(self, active_key: str | None) -> None:
        """The profile's key changed: move the "in use" mark."""
        if active_key != self.active_key:
            self.active_key = active_key
            self.render_rows()

    def highlighted(self) -> ApiKey | None:
        table = self.query_one(DataTable)
        if not table.display or table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.rows.get(row_key.value or "")

    def in_use(self, key: ApiKey) -> bool:
        return bool(key.id) and key.id == self.active_key

    def cycle_status(self) -> None:
        index = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(index + 1) % len(STATUS_FILTERS)]
        self._show_status_filter()
        self.render_rows()

    # -- workers -------------------------------------------------------------------------------------
    @work(exclusive=True, group="account-keys")
    async def fetch(self, client: ControlPlaneClient) -> None:
        from tm_tui.api.errors import TmError

        try:
            keys = await client.list_api_keys(include_deleted=True)
        except TmError as error:
            self.post_message(self.Loaded(None, error))
            self.post_message(ContextChanged())  # a 401 may have expired the login
        else:
            self.post_message(self.Loaded(keys))

    @work(exclusive=True, group="account-key-revoke")
    async def revoke(self, client: ControlPlaneClient, key: ApiKey) -> None:
        from tm_tui.api.errors import TmError

        in_use = self.in_use(key)
        try:
            await client.delete_api_key(key.id or "")
        except TmError as error:
            self.post_message(self.Revoked(key, in_use, error))
            return
        self.post_message(self.Revoked(key, in_use))
        self.fetch(client)

    # -- handlers ------------------------------------------------------------------------------------
    def on_api_keys_pane_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.loading = False
        if self.query_one("#keys-error", ErrorPanel).show(explain(message.error, "list API keys")):
            kept = "The list below is from before; r retries." if self.keys is not None else "r retries."
            self._say(kept)
            return
        self.keys = message.keys or []
        self.render_rows()

    def on_api_keys_pane_revoked(self, message: Revoked) -> None:
        name = sanitize(message.key.name or "?")
        if message.error is not None:
            self.query_one("#keys-error", ErrorPanel).show(explain(message.error, "revoke API keys"))
            self.note = f"✗ “{name}” was not revoked."
        else:
            self.note = f"✓ Revoked “{name}”: it stops working at once."
            if message.in_use:
                self.note += (
                    " It was the key in use: chats fail until you pick one here (enter) or create one (n)."
                )
        self.render_rows()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "keys-filter":
            event.stop()
            self.render_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "keys-filter":
            event.stop()
            self.query_one(DataTable).focus()

    # -- rendering -----------------------------------------------------------------------------------
    def _show_status_filter(self) -> None:
        shown = self.status_filter or "all"
        self.query_one("#keys-status-filter", Static).update(
            Text.assemble(("status ", "dim"), (shown, "bold"), (" (s changes)", "dim"))
        )

    def _say(self, text: str) -> None:
        self.query_one("#keys-message", Static).update(Text(text, "dim"))

    def render_rows(self) -> None:
        if self.keys is None:
            return
        table = self.query_one(DataTable)
        table.display = True
        cursor = table.cursor_row
        table.clear()
        self.rows = {}
        wanted = self.query_one("#keys-filter", Input).value.strip().lower()
        shown = 0
        for index, key in enumerate(self.keys):
            status = key_status(key, self.now)
            if self.status_filter and status != self.status_filter:
                continue
            if wanted and wanted not in (key.name or "").lower():
                continue
            row_key = f"key-{index}"
            self.rows[row_key] = key
            style = "" if status == "active" else "dim"
            cells = (
                sanitize(key.name or "—"),
                mask(key.id),
                sanitize(", ".join(key.scopes)) or "—",
                day(key.created_at),
                day(key.expires_at),
                status,
                "✓ in use" if self.in_use(key) else "",
            )
            table.add_row(*(Text(cell, style) for cell in cells), key=row_key)
            shown += 1
        if self.rows:
            table.move_cursor(row=min(cursor, shown - 1))
        self._say(self._summary(shown))

    def _summary(self, shown: int) -> str:
        keys = self.keys or []
        if not keys:
            summary = "You have no API keys yet: n creates one."
        elif shown == 0:
            summary = f"No key matches the filter ({len(keys)} keys in all)."
        else:
            usable = sum(1 for key in keys if key_status(key, self.now) == "active")
            summary = (
                f"Showing {shown} of {len(keys)} keys, {usable} usable. "
                "enter uses the highlighted key, d revokes it, n creates one."
            )
        return f"{self.note}\n{summary}" if self.note else summary
