"""The API keys tab of Account: the user's keys with their status (active / expired / revoked), a
name filter and a status filter, creating a key (the form is in `account_key_form`, the secret is
shown once) and revoking one (a typed confirmation for the key in use).

`ApiKeysPane` owns the table: its workers load and revoke, and its handlers are the only code that
changes what it shows. A failed load keeps the last good list on screen with the error above it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from tm_tui.config.secrets import mask
from tm_tui.screens.account_credentials import activate_key, active_key
from tm_tui.screens.account_hints import explain
from tm_tui.screens.account_key_form import NewKeyScreen, create_key
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.secret_once import SecretOnceScreen
from tm_tui.widgets.typed_confirm import TypedConfirmScreen

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import ApiKey
    from tm_tui.app import TmApp
    from tm_tui.session import Session

STATUSES = ("active", "expired", "revoked")
STATUS_FILTERS: tuple[str | None, ...] = (None, *STATUSES)
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


# -- the pane ------------------------------------------------------------------------------------
class ApiKeysPane(Vertical):
    app: TmApp  # narrows Widget.app

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

    # -- creating and revoking (the screen's n and d) ------------------------------------------------
    def ask_new_key(self, session: Session, now: datetime) -> None:
        if session.control_plane is None:
            return
        form = NewKeyScreen(partial(create_key, session.control_plane), now=now)
        self.app.push_screen(form, partial(self._key_created, session, now))

    def _key_created(self, session: Session, now: datetime, key: ApiKey | None) -> None:
        if key is None or not key.id:  # cancelled, or failed part way: show the server's list
            self._reload(session, now)
            return
        secret = SecretOnceScreen(key.name or "", key.id, partial(activate_key, self.app, session))
        self.app.push_screen(secret, lambda _: self._reload(session, now))

    def _reload(self, session: Session, now: datetime) -> None:
        if session.control_plane is not None:
            self.load(session.control_plane, now, active_key(session))

    def ask_revoke(self) -> None:
        """Revoke the highlighted key once the user confirms (by typing its name if it is in use)."""
        key = self.highlighted()
        if key is None or not key.id:
            return
        name = sanitize(key.name or "")
        screen: ModalScreen[bool]
        if self.in_use(key):
            expected = name or "revoke"
            question = (
                f"“{name}” ({mask(key.id)}) is the inference API key this profile uses: chats stop working "
                f"until you pick or create another. Type {expected} to revoke it."
            )
            screen = TypedConfirmScreen("Revoke the key in use", question, expected)
        else:
            question = (
                f"Revoke “{name}” ({mask(key.id)})? Every program using it stops working at once; "
                "this cannot be undone."
            )
            screen = ConfirmScreen("Revoke API key", question, yes="Revoke")
        self.app.push_screen(screen, partial(self._confirmed_revoke, key))

    def _confirmed_revoke(self, key: ApiKey, confirmed: bool | None) -> None:
        session = self.app.session  # the one active now: the dialog may have stayed open a while
        if confirmed and session is not None and session.control_plane is not None:
            self.revoke(session.control_plane, key)

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
