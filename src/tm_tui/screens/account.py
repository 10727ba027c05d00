"""Account section, in three tabs.

- Overview: which credentials are set and where from, the control-plane profile (with the terms of
  service status, `a` accepts them, `e` edits the names), the browser login (start, countdown,
  cancel, refresh, log out), and the inference API key (paste one, or pick one of the user's keys)
  — validated against the active surface before it is saved.
- API keys (`account_keys`): the user's keys with a filter; create (`n`, the secret shown once),
  revoke (`d`), use one (enter).
- Activity (`account_activity`): the account's audit log in numbered pages.

Workers do the network and file work and post one message each; the handlers own the widgets.
After any credential change the app re-reads the settings (`change_session(SessionChange(save=…))`),
which bumps the session's generation: every section, this one included, reloads through
`session_changed`. Results shown for
one profile (login outcome, key check, lists) are dropped when another profile becomes active.
"""

from __future__ import annotations

import asyncio
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
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from tm_tui.config.secrets import mask
from tm_tui.screens.account_activity import ActivityPane
from tm_tui.screens.account_credentials import activate_key, active_key, open_in_gui_browser, saved_where
from tm_tui.screens.account_hints import explain
from tm_tui.screens.account_keys import ApiKeysPane, NewKeyScreen, create_key, key_status
from tm_tui.screens.account_profile import ProfileEditScreen, save_names, tos_accepted, user_lines
from tm_tui.screens.sections import SectionScreen
from tm_tui.session import SessionChange
from tm_tui.state import AppContext, ContextChanged, LoginState
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.login_panel import LoginPanel
from tm_tui.widgets.masked_input import SecretInput
from tm_tui.widgets.secret_once import SecretOnceScreen
from tm_tui.widgets.typed_confirm import TypedConfirmScreen

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import ApiKey, User
    from tm_tui.session import Session

__all__ = ["AccountScreen", "key_status", "user_lines"]

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
TABS = {"overview": "Overview (1)", "keys": "API keys (2)", "activity": "Activity (3)"}
# Actions that belong to one tab: they show in the footer there only, and bring their tab forward
# when run from the palette.
TAB_OF_ACTION = {
    "refresh_token": "overview",
    "logout": "overview",
    "set_key": "overview",
    "accept_tos": "overview",
    "revoke_key": "keys",
    "filter_keys": "keys",
    "cycle_status": "keys",
    "prev_page": "activity",
    "next_page": "activity",
}


class AccountScreen(SectionScreen):
    SECTION_ID = "account"
    CSS_PATH = Path(__file__).with_name("account.tcss")
    AUTO_FOCUS = None  # no field takes the keys at start: every binding works at once
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l", "login", "Log in", id="account.login", tooltip="Log in to the control plane in a browser"
        ),
        Binding("escape", "cancel_login", "Cancel login", id="account.login.cancel"),
        Binding("escape", "leave_field", "Leave field", show=False, id="account.field.leave"),
        Binding("c", "copy_url", "Copy URL", id="account.login.copy", tooltip="Copy the login URL"),
        Binding("t", "refresh_token", "Refresh token", id="account.refresh", tooltip="Refresh the login now"),
        Binding("o", "logout", "Log out", id="account.logout", tooltip="Forget the control-plane login"),
        Binding("k", "set_key", "Set API key", id="account.key.set", tooltip="Paste an inference API key"),
        # Not in the footer (it is full): the API keys tab (2) says "enter uses the highlighted key".
        Binding(
            "p",
            "pick_key",
            "Pick API key",
            show=False,
            id="account.key.pick",
            tooltip="Use one of your API keys",
        ),
        Binding("e", "edit_profile", "Edit profile", id="account.profile.edit", tooltip="Edit your name"),
        Binding(
            "a", "accept_tos", "Accept terms", id="account.tos.accept", tooltip="Accept the terms of service"
        ),
        Binding("n", "new_key", "New key", id="account.key.new", tooltip="Create an API key"),
        Binding(
            "d", "revoke_key", "Revoke", id="account.key.revoke", tooltip="Revoke the highlighted API key"
        ),
        Binding(
            "slash", "filter_keys", "Filter", id="account.keys.filter", tooltip="Filter the keys by name"
        ),
        Binding(
            "s", "cycle_status", "Status filter", id="account.keys.status", tooltip="Show keys of one status"
        ),
        Binding("left_square_bracket", "prev_page", "Previous page", id="account.activity.prev"),
        Binding("right_square_bracket", "next_page", "Next page", id="account.activity.next"),
        Binding("1", "show_tab('overview')", "Overview", show=False, id="account.tab.overview"),
        Binding("2", "show_tab('keys')", "API keys", show=False, id="account.tab.keys"),
        Binding("3", "show_tab('activity')", "Activity", show=False, id="account.tab.activity"),
        Binding(
            "r", "reload", "Reload", id="account.reload", tooltip="Load the profile, keys and activity again"
        ),
    ]

    # -- messages: one per worker outcome ----------------------------------------------------------
    class UserLoaded(Message):
        def __init__(self, user: User | None, error: BaseException | None = None, note: str = "") -> None:
            super().__init__()
            self.user, self.error, self.note = user, error, note

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
        self.user: User | None = None  # the last profile loaded for the active profile
        self.resume_tab: str | None = None  # where a login started from; shown again when it succeeds
        self._profile_shown: str | None = None  # the profile whose results are on screen

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="account-tabs", initial="tab-overview"):
            with TabPane(TABS["overview"], id="tab-overview"), VerticalScroll(id="account-body"):
                with Horizontal(id="account-top"):
                    with Vertical(id="credentials-box", classes="box") as box:
                        box.border_title = "Credentials"
                        yield Static("waiting for settings…", id="credentials", markup=False)
                    with Vertical(id="user-box", classes="box") as box:
                        box.border_title = "Profile (e edits)"
                        yield Static("", id="user", markup=False)
                        yield Static("", id="user-message", markup=False)
                        yield ErrorPanel(id="user-error")
                with Vertical(id="login-box", classes="box") as box:
                    box.border_title = "Browser login"
                    yield LoginPanel(id="login")
                with Vertical(id="key-box", classes="box") as box:
                    box.border_title = "Inference API key"
                    yield SecretInput(
                        "paste an inference API key, then enter (esc leaves the field)", id="key-input"
                    )
                    yield Static("", id="key-message", markup=False)
                    yield ErrorPanel(id="key-error")
            with TabPane(TABS["keys"], id="tab-keys"):
                yield ApiKeysPane(id="keys-pane")
            with TabPane(TABS["activity"], id="tab-activity"):
                yield ActivityPane(id="activity-pane")

    def on_mount(self) -> None:
        for panel in self.query("#account-body ErrorPanel"):
            panel.display = False
        super().on_mount()  # last: it may run session_changed at once

    @property
    def keys_pane(self) -> ApiKeysPane:
        return self.query_one(ApiKeysPane)

    @property
    def activity_pane(self) -> ActivityPane:
        return self.query_one(ActivityPane)

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    # -- tabs --------------------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == f"tab-{tab}":
            self._tab_shown(tab)
        else:
            tabs.active = f"tab-{tab}"  # `TabActivated` follows, and runs `_tab_shown`

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        self._tab_shown((event.pane.id or "").removeprefix("tab-"))

    def _tab_shown(self, tab: str) -> None:
        focus = {"keys": "#api-keys", "activity": "#activity"}.get(tab)
        self.set_focus(self.query_one(focus) if focus else None)
        session = self.app.session
        pane = self.activity_pane
        if tab == "activity" and not pane.loaded and session is not None and session.control_plane:
            pane.load(session.control_plane)  # first shown: only now ask for it
        self.refresh_bindings()

    def action_leave_field(self) -> None:
        focused = self.focused
        self.set_focus(self.query_one("#api-keys") if focused and focused.id == "keys-filter" else None)

    # -- following the session ---------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        if session.profile_name != self._profile_shown:
            self._profile_shown = session.profile_name
            self.forget_results()
        self.action_reload()  # the credentials follow in context_changed, which also runs now

    def forget_results(self) -> None:
        """Another profile is active: what was shown for the previous one no longer applies."""
        panel = self.query_one(LoginPanel)
        if not panel.is_waiting:
            panel.reset()
            panel.idle(IDLE_HINTS[self.app.context.login])
        self.query_one("#key-message", Static).update("")
        self.query_one("#key-error", ErrorPanel).display = False
        self.show_user_note("")
        self.user = None
        self.keys_pane.not_available("")
        self.activity_pane.not_available("")

    def context_changed(self, context: AppContext) -> None:
        session = self.app.session
        if session is not None:
            self.show_credentials(session)
            self.keys_pane.follow_key(active_key(session))
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
        client = session.control_plane
        if client is None:
            self.query_one("#user-error", ErrorPanel).display = False
            self.user = None
            user.update(Text(session.control_plane_reason or "Not logged in.", "italic"))
            self.keys_pane.not_available(
                "Log in (l) to list your API keys; a key can also be pasted on Overview (k)."
            )
            self.activity_pane.not_available("Log in (l) to see your account's activity.")
            self.refresh_bindings()
            return
        user.loading = self.user is None
        self.load_user(session)
        self.keys_pane.load(client, self.now(), active_key(session))
        if self.activity_pane.loaded or self.active_tab == "activity":
            self.activity_pane.load(client)

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

    def on_account_screen_user_loaded(self, message: UserLoaded) -> None:
        user = self.query_one("#user", Static)
        user.loading = False
        if self.query_one("#user-error", ErrorPanel).show(explain(message.error, "read the profile")):
            if self.user is None:
                user.update("")
        elif message.user is not None:
            self.user = message.user
            user.update(user_lines(message.user))
        self.show_user_note(message.note)
        self.refresh_bindings()

    def show_user_note(self, note: str) -> None:
        line = self.query_one("#user-message", Static)
        line.update(Text(note, "bold"))
        line.display = bool(note)

    # -- bindings shown only when they can act -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.query(ApiKeysPane):  # not composed yet: nothing to act on
            return action in ("login", "reload", "show_tab")
        session = self.app.session
        waiting = self.query_one(LoginPanel).is_waiting
        tab = self.active_tab
        if action in TAB_OF_ACTION and TAB_OF_ACTION[action] != tab:
            return False
        logged_in = session is not None and session.control_plane is not None
        if action in ("cancel_login", "copy_url"):
            return waiting
        if action == "leave_field":
            return isinstance(self.focused, Input)
        if action == "login":  # on every tab: a 401 anywhere leads here, and back
            return not waiting
        if action in ("refresh_token", "logout"):
            return session is not None and bool(session.settings.control_plane_token.value)
        if action == "pick_key":
            return logged_in and tab == "overview"
        if action in ("new_key", "filter_keys", "cycle_status"):
            return logged_in
        if action == "edit_profile":
            return logged_in and self.user is not None
        if action == "accept_tos":
            return logged_in and self.user is not None and not tos_accepted(self.user)
        if action == "revoke_key":
            key = self.keys_pane.highlighted() if logged_in else None
            return key is not None and key_status(key, self.now()) != "revoked"
        if action in ("prev_page", "next_page"):
            return self.activity_pane.can_go(-1 if action == "prev_page" else 1)
        return True

    def run_when_ready(self, action: str) -> None:
        """A palette command from anywhere: its tab comes forward first, so the action can run."""
        if tab := TAB_OF_ACTION.get(action):
            super().run_when_ready(f"show_tab('{tab}')")
        super().run_when_ready(action)

    # -- browser login -------------------------------------------------------------------------------
    def action_login(self) -> None:
        if self.app.session is None:
            return
        tab = self.active_tab
        self.resume_tab = None if tab == "overview" else tab
        self.action_show_tab("overview")  # where the login shows its progress
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
            if self.resume_tab:  # back to where the expired login stopped the user
                self.action_show_tab(self.resume_tab)
                self.notify(f"{message.text} Back to {TABS[self.resume_tab]}.", timeout=5, markup=False)
        self.resume_tab = None
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
        self.action_show_tab("keys")

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
        key = self.keys_pane.rows.get(event.row_key.value or "")
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
        from tm_tui.config import ConfigFileError

        try:
            text = await activate_key(self.app, session, key)
        except (TmError, ConfigFileError) as error:
            self.post_message(self.KeyChecked(error=error))
            return
        self.post_message(self.KeyChecked(text))

    def on_account_screen_key_checked(self, message: KeyChecked) -> None:
        if message.error is None:
            self.query_one("#key-input", SecretInput).clear_secret()
            if isinstance(self.focused, SecretInput):
                self.set_focus(None)  # saved: the keys act again (p must not type into the field)
        self._key_result(message.error, message.text)
        if self.active_tab == "keys":  # picked from the list: say it there too
            self.notify(plain_text(message), timeout=5, markup=False)

    def _key_result(self, error: BaseException | None, text: str | None) -> None:
        if self.query_one("#key-error", ErrorPanel).show(error):
            text = "✗ The key was not saved."
        self.query_one("#key-message", Static).update(Text(text or "", "bold"))

    # -- API keys: create and revoke -----------------------------------------------------------------
    def action_new_key(self) -> None:
        session = self.app.session
        if session is None or session.control_plane is None:
            return
        self.action_show_tab("keys")
        form = NewKeyScreen(partial(create_key, session.control_plane), now=self.now())
        self.app.push_screen(form, partial(self._key_created, session))

    def _key_created(self, session: Session, key: ApiKey | None) -> None:
        if key is None or not key.id:  # cancelled, or failed part way: show the server's list
            self._reload_keys(session)
            return
        activate = partial(activate_key, self.app, session)
        secret = SecretOnceScreen(key.name or "", key.id, activate)
        self.app.push_screen(secret, lambda _: self._reload_keys(session))

    def _reload_keys(self, session: Session) -> None:
        if session.control_plane is not None:
            self.keys_pane.load(session.control_plane, self.now(), active_key(session))

    def action_revoke_key(self) -> None:
        key = self.keys_pane.highlighted()
        if key is None or not key.id:
            return
        name = sanitize(key.name or "")
        screen: ModalScreen[bool]
        if self.keys_pane.in_use(key):
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
        session = self.app.session
        if confirmed and session is not None and session.control_plane is not None:
            self.keys_pane.revoke(session.control_plane, key)

    def action_filter_keys(self) -> None:
        self.query_one("#keys-filter", Input).focus()

    def action_cycle_status(self) -> None:
        self.keys_pane.cycle_status()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # revoke depends on the highlighted key

    # -- activity ------------------------------------------------------------------------------------
    def action_prev_page(self) -> None:
        self._turn_page(-1)

    def action_next_page(self) -> None:
        self._turn_page(1)

    def _turn_page(self, step: int) -> None:
        session = self.app.session
        if session is not None and session.control_plane is not None:
            self.activity_pane.load(session.control_plane, self.activity_pane.page + step)

    def on_activity_pane_loaded(self, _: ActivityPane.Loaded) -> None:
        self.call_later(self.refresh_bindings)  # after the pane's own handler: the page moved

    # -- profile and terms ---------------------------------------------------------------------------
    def action_edit_profile(self) -> None:
        session = self.app.session
        if self.user is None or session is None or session.control_plane is None:
            return
        self.action_show_tab("overview")
        form = ProfileEditScreen(self.user, partial(save_names, session.control_plane))
        self.app.push_screen(form, self._profile_saved)

    def _profile_saved(self, user: User | None) -> None:
        if user is not None:
            self.post_message(self.UserLoaded(user, note="✓ Profile saved."))
            self.app.check_login()  # the context bar shows the display name

    def action_accept_tos(self) -> None:
        if self.user is None:
            return
        question = (
            f"Accept the Tensormesh terms of service for {sanitize(self.user.user_email or 'this account')}? "
            "Read them at https://tensormesh.ai/terms first."
        )
        self.app.push_screen(ConfirmScreen("Terms of service", question, yes="Accept"), self._confirmed_tos)

    def _confirmed_tos(self, confirmed: bool | None) -> None:
        if confirmed and self.app.session is not None:
            self.run_accept_tos(self.app.session)

    @work(exclusive=True, group="account-user")
    async def run_accept_tos(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        if client is None:
            return
        try:
            user = await client.accept_tos()
        except TmError as error:
            self.post_message(self.UserLoaded(None, error, note="✗ The terms were not accepted."))
            return
        self.post_message(self.UserLoaded(user, note="✓ Terms of service accepted."))


def plain_text(message: AccountScreen.KeyChecked) -> str:
    return message.text or ("✗ The key was not saved: " + str(message.error))
