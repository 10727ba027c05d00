"""Account section: which credentials are set and where from, the control-plane user, the browser
login (start, countdown, cancel, refresh, log out), and the inference API key (paste one, or pick one
of the user's keys from the control plane) — validated against the active surface before it is saved.

Workers do the network and file work and post one message each; the handlers own the widgets.
After any credential change the app re-reads the settings (`change_session(SessionChange(save=…))`),
which bumps the session's generation: every section, this one included, reloads through `session_changed`.
"""

from __future__ import annotations

import asyncio
import sys
import webbrowser
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tm_tui.config.secrets import mask
from tm_tui.screens.sections import SectionScreen
from tm_tui.session import SessionChange
from tm_tui.state import AppContext, ContextChanged, LoginState
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.login_panel import LoginPanel
from tm_tui.widgets.masked_input import SecretInput

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import ApiKey, User
    from tm_tui.session import Session

DEFAULT_LOGIN_MAX_WAIT_S = 300.0
CREDENTIAL_ROWS = ("inference API key", "control-plane token", "on-demand user id")
NOT_SET = "not set"
LOGIN_AGAIN = "Press l to start the login again."
IDLE_HINTS = {
    LoginState.LOGGED_IN: "Logged in. t refreshes the token now, o logs out, l logs in again.",
    LoginState.CHECKING: "Checking the login…",
    LoginState.EXPIRED: "The login has expired: press t to refresh it, or l to log in again.",
    LoginState.UNVERIFIED: "A token is set but the control plane could not be asked; r retries.",
    LoginState.NOT_LOGGED_IN: "Press l to log in to the control plane with your browser.",
}


def day(timestamp: str | None) -> str:
    return sanitize(timestamp[:10]) if timestamp else "—"


def key_status(key: ApiKey, now: datetime) -> str:
    """`active`, `expired` or `deleted` (an unparseable expiry counts as active: the server decides)."""
    if key.deleted_at:
        return "deleted"
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


def user_lines(user: User) -> Table:
    """Label and value on one row each; a value too long for the pane wraps in its own column."""
    full_name = " ".join(part for part in (user.first_name, user.last_name) if part)
    role = (user.user_role or "").removeprefix("USER_ROLE_").lower().replace("_", " ")
    rows = (
        ("Name", user.display_name or full_name),
        ("Email", user.user_email),
        ("Company", user.company),
        ("Role", role),
        ("User id", user.id),
    )
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        table.add_row(label, Text(sanitize(value) if value else "—"))
    return table


def open_in_gui_browser(url: str, env: Mapping[str, str]) -> bool:
    """Open `url` in a graphical browser; False when there is none. A console browser (lynx, w3m)
    would take over the terminal the app is drawing on, so it is never used."""
    if sys.platform not in ("darwin", "win32") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # how console browsers are registered
        return False
    return bool(browser.open(url, new=2))


def saved_where(path: Path | None) -> str:
    return f"saved to {path}" if path is not None else "kept in memory for this demo run"


class AccountScreen(SectionScreen):
    SECTION_ID = "account"
    CSS_PATH = Path(__file__).with_name("account.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l", "login", "Log in", id="account.login", tooltip="Log in to the control plane in a browser"
        ),
        Binding("escape", "cancel_login", "Cancel login", id="account.login.cancel"),
        Binding("c", "copy_url", "Copy URL", id="account.login.copy", tooltip="Copy the login URL"),
        Binding("t", "refresh_token", "Refresh token", id="account.refresh", tooltip="Refresh the login now"),
        Binding("o", "logout", "Log out", id="account.logout", tooltip="Forget the control-plane login"),
        Binding("k", "set_key", "Set API key", id="account.key.set", tooltip="Paste an inference API key"),
        Binding("p", "pick_key", "Pick API key", id="account.key.pick", tooltip="Use one of your API keys"),
        Binding("r", "reload", "Reload", id="account.reload", tooltip="Load the user and keys again"),
    ]

    # -- messages: one per worker outcome ----------------------------------------------------------
    class UserLoaded(Message):
        def __init__(self, user: User | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.user, self.error = user, error

    class KeysLoaded(Message):
        def __init__(self, keys: list[ApiKey] | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.keys, self.error = keys, error

    class LoginStarted(Message):
        def __init__(self, url: str, max_wait_s: float, opened: bool) -> None:
            super().__init__()
            self.url, self.max_wait_s, self.opened = url, max_wait_s, opened

    class LoginOutcome(Message):
        """The login, refresh or logout finished: `text` on success, else `error`."""

        def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    class KeyChecked(Message):
        def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    @staticmethod
    def now() -> datetime:
        """Decides which API keys have expired (tests pin it)."""
        return datetime.now(UTC)

    def __init__(self) -> None:
        super().__init__()
        self.login_max_wait_s = DEFAULT_LOGIN_MAX_WAIT_S
        self.api_keys: dict[str, ApiKey] = {}

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="account-body"):
            with Horizontal(id="account-top"):
                with Vertical(id="credentials-box", classes="box") as box:
                    box.border_title = "Credentials"
                    yield Static("waiting for settings…", id="credentials", markup=False)
                with Vertical(id="user-box", classes="box") as box:
                    box.border_title = "Control-plane user"
                    yield Static("", id="user", markup=False)
                    yield ErrorPanel(id="user-error")
            with Vertical(id="login-box", classes="box") as box:
                box.border_title = "Browser login"
                yield LoginPanel(id="login")
            with Vertical(id="key-box", classes="box") as box:
                box.border_title = "Inference API key"
                yield SecretInput("paste an inference API key, then enter", id="key-input")
                yield Static("", id="key-message", markup=False)
                yield ErrorPanel(id="key-error")
            with Vertical(id="keys-box", classes="box") as box:
                box.border_title = "Your API keys (enter uses the highlighted one)"
                yield Static("", id="keys-message", markup=False)
                yield DataTable(id="api-keys", cursor_type="row", zebra_stripes=True)
                yield ErrorPanel(id="keys-error")

    def on_mount(self) -> None:
        table = self.query_one("#api-keys", DataTable)
        for label in ("Name", "Key", "Created", "Expires", "Status"):
            table.add_column(label, key=label.lower())
        for panel in self.query(ErrorPanel):
            panel.display = False
        super().on_mount()  # last: it may run session_changed at once

    # -- following the session ---------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        self.action_reload()  # the credentials follow in context_changed, which also runs now

    def context_changed(self, context: AppContext) -> None:
        if self.app.session is not None:
            self.show_credentials(self.app.session)
        self.query_one(LoginPanel).idle(IDLE_HINTS[context.login])
        self.refresh_bindings()

    def show_credentials(self, session: Session) -> None:
        rows = {row.name: row for row in session.settings.describe()}
        table = Table(box=None, expand=True, padding=(0, 1), pad_edge=False, show_header=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for name in CREDENTIAL_ROWS:
            row = rows[name]
            if row.value == NOT_SET:
                table.add_row(Text(name), Text("✗ not set", "yellow"))
                continue
            table.add_row(Text(name), Text.assemble(("✓ ", "green"), sanitize(row.value)))
            # where it came from, on its own line: paths can be long
            table.add_row("", Text("from " + sanitize(row.source), "dim"))
        self.query_one("#credentials", Static).update(table)

    def action_reload(self) -> None:
        session = self.app.session
        if session is None:
            return
        user = self.query_one("#user", Static)
        message = self.query_one("#keys-message", Static)
        keys = self.query_one("#api-keys", DataTable)
        if session.control_plane is None:
            self.query_one("#user-error", ErrorPanel).display = False
            self.query_one("#keys-error", ErrorPanel).display = False
            reason = session.control_plane_reason or "Not logged in."
            user.update(Text(reason, "italic"))
            message.update(Text("Log in (l) to list your API keys, or paste a key above (k).", "italic"))
            keys.clear()
            keys.display = False
            return
        user.loading = True
        keys.loading = True
        self.load_user(session)
        self.load_keys(session)

    @work(exclusive=True, group="account-user")
    async def load_user(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        if client is None:  # checked by the caller; nothing to ask
            return
        try:
            user = await client.profile()
        except TmError as error:
            self.post_message(self.UserLoaded(None, error))
        else:
            self.post_message(self.UserLoaded(user))
        self.post_message(ContextChanged())  # a 401 may have refreshed or expired the login

    @work(exclusive=True, group="account-keys")
    async def load_keys(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        if client is None:  # checked by the caller; nothing to ask
            return
        try:
            keys = await client.list_api_keys(include_deleted=True)
        except TmError as error:
            self.post_message(self.KeysLoaded(None, error))
        else:
            self.post_message(self.KeysLoaded(keys))

    def on_account_screen_user_loaded(self, message: UserLoaded) -> None:
        user = self.query_one("#user", Static)
        user.loading = False
        if self.query_one("#user-error", ErrorPanel).show(message.error):
            user.update("")
        elif message.user is not None:
            user.update(user_lines(message.user))

    def on_account_screen_keys_loaded(self, message: KeysLoaded) -> None:
        table = self.query_one("#api-keys", DataTable)
        table.loading = False
        failed = self.query_one("#keys-error", ErrorPanel).show(message.error)
        table.display = not failed
        table.clear()
        self.api_keys = {}
        if failed:
            self.query_one("#keys-message", Static).update("")
            return
        now = self.now()
        keys = message.keys or []
        for index, key in enumerate(keys):
            row_key = f"key-{index}"  # the id is the secret: it never becomes a widget key
            self.api_keys[row_key] = key
            status = key_status(key, now)
            style = "" if status == "active" else "dim"
            cells = (
                sanitize(key.name or "—"),
                mask(key.id),
                day(key.created_at),
                day(key.expires_at),
                status,
            )
            table.add_row(*(Text(cell, style) for cell in cells), key=row_key)
        usable = sum(1 for key in keys if key_status(key, now) == "active")
        note = f"{len(keys)} keys, {usable} usable. Expired and deleted keys cannot be chosen."
        self.query_one("#keys-message", Static).update(
            Text(note if keys else "You have no API keys yet.", "dim")
        )

    # -- bindings shown only when they can act -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.app.session
        panels = self.query(LoginPanel)
        waiting = bool(panels) and panels.first().is_waiting
        if action in ("cancel_login", "copy_url"):
            return waiting
        if action == "login":
            return not waiting
        if action in ("refresh_token", "logout"):
            return session is not None and bool(session.settings.control_plane_token.value)
        if action == "pick_key":
            return session is not None and session.control_plane is not None
        return True

    # -- browser login -------------------------------------------------------------------------------
    def action_login(self) -> None:
        if self.app.session is not None:
            self.run_login(self.app.session)

    @work(exclusive=True, group="browser-login")
    async def run_login(self, session: Session) -> None:
        from tm_tui.api.errors import LoginError, TmError
        from tm_tui.api.login import poll_login, start_login
        from tm_tui.config import ConfigFileError, save_login

        settings = session.settings
        try:
            login = await start_login(
                session.http,
                settings.control_plane_base_url.value,
                timeout=settings.timeout.value,
            )
            opened = await asyncio.to_thread(self.open_browser, login.auth_url)
            self.post_message(self.LoginStarted(login.auth_url, self.login_max_wait_s, opened))
            tokens = await poll_login(login, max_wait_s=self.login_max_wait_s)
            change = SessionChange(save=partial(save_login, settings, tokens))
            path = await self.app.change_session(change)
        except LoginError as error:
            error.hint = error.hint or LOGIN_AGAIN
            self.post_message(self.LoginOutcome(error=error))
            return
        except (TmError, ConfigFileError) as error:
            self.post_message(self.LoginOutcome(error=error))
            return
        who = f" as {session.display_name}" if session.display_name else ""
        self.post_message(self.LoginOutcome(f"Logged in{who}; the tokens were {saved_where(path)}."))

    def open_browser(self, url: str) -> bool:
        """Open the login page where a graphical browser exists; never in headless runs (tests)."""
        return not self.app.is_headless and open_in_gui_browser(url, self.app.env)

    def on_account_screen_login_started(self, message: LoginStarted) -> None:
        self.query_one(LoginPanel).waiting(message.url, message.max_wait_s, opened=message.opened)
        self.refresh_bindings()

    def on_account_screen_login_outcome(self, message: LoginOutcome) -> None:
        panel = self.query_one(LoginPanel)
        if message.error is not None:
            panel.failed(message.error)
        else:
            panel.succeeded(message.text or "Done.")
        self.refresh_bindings()

    def action_cancel_login(self) -> None:
        for worker in self.workers:
            if worker.group == "browser-login" and worker.is_running:
                worker.cancel()
        self.query_one(LoginPanel).cancelled("Login cancelled: nothing was saved. Press l to start again.")
        self.refresh_bindings()

    def action_copy_url(self) -> None:
        url = self.query_one(LoginPanel).url
        if url:
            self.app.copy_to_clipboard(url)
            self.notify("The login URL is on the clipboard.", timeout=3)

    def action_refresh_token(self) -> None:
        if self.app.session is not None:
            self.run_refresh(self.app.session)

    @work(exclusive=True, group="browser-login")
    async def run_refresh(self, session: Session) -> None:
        from tm_tui.api.errors import LoginError, TmError
        from tm_tui.api.login import refresh_tokens
        from tm_tui.config import ConfigFileError, save_login

        refresh = session.refresh_token
        if refresh is None:
            error = LoginError("No refresh token is stored with this login.", hint=LOGIN_AGAIN)
            self.post_message(self.LoginOutcome(error=error))
            return
        settings = session.settings
        try:
            tokens = await refresh_tokens(
                session.http,
                settings.control_plane_base_url.value,
                refresh.reveal(),
                timeout=settings.timeout.value,
            )
            change = SessionChange(save=partial(save_login, settings, tokens))
            path = await self.app.change_session(change)
        except (TmError, ConfigFileError) as error:
            self.post_message(self.LoginOutcome(error=error))
            return
        self.post_message(self.LoginOutcome(f"Token refreshed; the new tokens were {saved_where(path)}."))

    def action_logout(self) -> None:
        question = (
            "Forget the control-plane login of this profile? The tokens are deleted from disk "
            "(like `tm auth logout`); API keys stay as they are."
        )
        self.app.push_screen(ConfirmScreen("Log out", question, yes="Log out"), self._confirmed_logout)

    def _confirmed_logout(self, confirmed: bool | None) -> None:
        if confirmed and self.app.session is not None:
            self.run_logout(self.app.session)

    @work(exclusive=True, group="browser-login")
    async def run_logout(self, session: Session) -> None:
        from tm_tui.config import ConfigFileError, logout

        try:
            change = SessionChange(save=partial(logout, session.settings))
            changed = await self.app.change_session(change) or []
        except ConfigFileError as error:
            self.post_message(self.LoginOutcome(error=error))
            return
        text = "Logged out" + (f"; removed {', '.join(map(str, changed))}." if changed else ".")
        token = session.settings.control_plane_token
        if token.value:  # an env var or a flag still provides one
            text += f" A token from {token.label} still applies: unset it to log out completely."
        self.post_message(self.LoginOutcome(text))

    # -- inference API key ---------------------------------------------------------------------------
    def action_set_key(self) -> None:
        self.query_one("#key-input", SecretInput).focus()

    def action_pick_key(self) -> None:
        table = self.query_one("#api-keys", DataTable)
        if table.display:
            table.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "key-input":
            return
        event.stop()
        key = event.value.strip()
        if not key:
            self._key_result(None, "Paste a key first.")
            return
        self.check_key(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "api-keys":
            return
        event.stop()
        key = self.api_keys.get(event.row_key.value or "")
        if key is None or not key.id:
            return
        status = key_status(key, self.now())
        if status != "active":
            self._key_result(None, f"The key “{sanitize(key.name or '?')}” is {status}: pick an active one.")
            return
        self.check_key(key.id)

    def check_key(self, key: str) -> None:
        session = self.app.session
        if session is None:
            return
        self.query_one("#key-message", Static).update(Text(f"Checking {mask(key)}…", "italic"))
        self.query_one("#key-error", ErrorPanel).display = False
        self.validate_and_save_key(session, key)

    @work(exclusive=True, group="account-key")
    async def validate_and_save_key(self, session: Session, key: str) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.config import ConfigFileError, save_inference_key

        try:
            surface = await session.probe_inference_key(key)
        except TmError as error:
            self.post_message(self.KeyChecked(error=error))
            return
        try:
            change = SessionChange(save=partial(save_inference_key, session.settings, key))
            path = await self.app.change_session(change)
        except ConfigFileError as error:
            self.post_message(self.KeyChecked(error=error))
            return
        where = "serverless" if surface == "serverless" else "on-demand"
        self.post_message(self.KeyChecked(f"✓ {mask(key)} works on {where}; {saved_where(path)}."))

    def on_account_screen_key_checked(self, message: KeyChecked) -> None:
        if message.error is None:
            self.query_one("#key-input", SecretInput).clear_secret()
        self._key_result(message.error, message.text)

    def _key_result(self, error: BaseException | None, text: str | None) -> None:
        if self.query_one("#key-error", ErrorPanel).show(error):
            text = "✗ The key was not saved."
        self.query_one("#key-message", Static).update(Text(text or "", "bold"))
