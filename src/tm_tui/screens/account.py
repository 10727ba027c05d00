"""Account section, in three tabs; this screen composes them and routes keys and results.

- Overview: which credentials are set and where from (`account_credentials`), the control-plane
  profile with the terms of service (`account_profile`: `a` accepts them, `e` edits the names), the
  browser login (`account_login`: start, countdown, cancel, refresh, log out), and the inference API
  key (`account_inference_key`: paste one, or pick one of the user's keys) — validated against the
  active surface before it is saved.
- API keys (`account_keys`): the user's keys with a filter; create (`n`, the form in
  `account_key_form`, the secret shown once), revoke (`d`), use one (enter).
- Activity (`account_activity`): the account's audit log in numbered pages.

Each part runs its own workers, which post one message each; the part's handler owns its widgets,
and the message then bubbles here, where the bindings follow. After any credential change the app
re-reads the settings (`change_session(SessionChange(save=…))`), which bumps the session's
generation: every section, this one included, reloads through `session_changed`. Results shown for
one profile (login outcome, key check, lists) are dropped when another profile becomes active.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from tm_tui.screens.account_activity import ActivityPane
from tm_tui.screens.account_credentials import active_key, credentials_table
from tm_tui.screens.account_inference_key import InferenceKeyBox
from tm_tui.screens.account_keys import ApiKeysPane, key_status
from tm_tui.screens.account_login import BrowserLogin
from tm_tui.screens.account_profile import ProfileBox, tos_accepted, user_lines
from tm_tui.screens.sections import SectionScreen

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import User
    from tm_tui.session import Session
    from tm_tui.state import AppContext

__all__ = ["AccountScreen", "key_status", "user_lines"]

TABS = {"overview": "Overview", "keys": "API keys", "activity": "Activity"}
TAB_LABELS = {tab: f"{title} ({n})" for n, (tab, title) in enumerate(TABS.items(), start=1)}  # with its key


class AccountScreen(SectionScreen):
    SECTION_ID = "account"
    CSS_PATH = Path(__file__).with_name("account.tcss")
    AUTO_FOCUS = None  # no field takes the keys at start: every binding works at once
    TAB_TITLES = TABS
    # Actions that belong to some tabs: they show in the footer there only, and bring their tab
    # forward when run from the palette.
    TAB_ACTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "refresh_token": ("overview",),
        "logout": ("overview",),
        "set_key": ("overview",),
        "pick_key": ("overview",),
        "accept_tos": ("overview",),
        "edit_profile": ("overview",),
        "revoke_key": ("keys",),
        "filter_keys": ("keys",),
        "cycle_status": ("keys",),
        "prev_page": ("activity",),
        "next_page": ("activity",),
    }
    # The footer fits 80 columns: keys that the screen shows in place stay out of it (the login box
    # says "t refreshes the token now, o logs out" and "esc cancels · c copies the URL", the profile
    # "a accepts" the terms, the keys tab "enter uses the highlighted key"); help and the palette
    # list them all.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l", "login", "Log in", id="account.login", tooltip="Log in to the control plane in a browser"
        ),
        Binding("escape", "cancel_login", "Cancel", id="account.login.cancel", tooltip="Cancel the login"),
        Binding("escape", "leave_field", "Leave field", show=False, id="account.field.leave"),
        Binding(
            "c", "copy_url", "Copy URL", show=False, id="account.login.copy", tooltip="Copy the login URL"
        ),
        Binding(
            "t",
            "refresh_token",
            "Refresh token",
            show=False,
            id="account.refresh",
            tooltip="Refresh the login now",
        ),
        Binding(
            "o",
            "logout",
            "Log out",
            show=False,
            id="account.logout",
            tooltip="Forget the control-plane login",
        ),
        Binding("k", "set_key", "Set API key", id="account.key.set", tooltip="Paste an inference API key"),
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
            "a",
            "accept_tos",
            "Accept terms",
            show=False,
            id="account.tos.accept",
            tooltip="Accept the terms of service",
        ),
        Binding("n", "new_key", "New key", id="account.key.new", tooltip="Create an API key"),
        Binding(
            "d", "revoke_key", "Revoke", id="account.key.revoke", tooltip="Revoke the highlighted API key"
        ),
        Binding(
            "slash", "filter_keys", "Filter", id="account.keys.filter", tooltip="Filter the keys by name"
        ),
        Binding("s", "cycle_status", "Status", id="account.keys.status", tooltip="Show keys of one status"),
        Binding("left_square_bracket", "prev_page", "Prev page", id="account.activity.prev"),
        Binding("right_square_bracket", "next_page", "Next page", id="account.activity.next"),
        *(
            Binding(str(n), f"show_tab('{tab}')", title, show=False, id=f"account.tab.{tab}")
            for n, (tab, title) in enumerate(TABS.items(), start=1)
        ),
        Binding(
            "r", "reload", "Reload", id="account.reload", tooltip="Load the profile, keys and activity again"
        ),
    ]

    @staticmethod
    def now() -> datetime:
        """Decides which API keys have expired (tests pin it)."""
        return datetime.now(UTC)

    def __init__(self) -> None:
        super().__init__()
        self.resume_tab: str | None = None  # where a login started from; shown again when it succeeds
        self._profile_shown: str | None = None  # the profile whose results are on screen

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="account-tabs", initial="tab-overview"):
            with TabPane(TAB_LABELS["overview"], id="tab-overview"), VerticalScroll(id="account-body"):
                with Horizontal(id="account-top"):
                    with Vertical(id="credentials-box", classes="box") as box:
                        box.border_title = "Credentials"
                        yield Static("waiting for settings…", id="credentials", markup=False)
                    yield ProfileBox(id="user-box", classes="box")
                yield BrowserLogin(id="login-box", classes="box")
                yield InferenceKeyBox(id="key-box", classes="box")
            with TabPane(TAB_LABELS["keys"], id="tab-keys"):
                yield ApiKeysPane(id="keys-pane")
            with TabPane(TAB_LABELS["activity"], id="tab-activity"):
                yield ActivityPane(id="activity-pane")

    @property
    def profile_box(self) -> ProfileBox:
        return self.query_one(ProfileBox)

    @property
    def user(self) -> User | None:
        """The last profile loaded for the active profile."""
        return self.profile_box.user

    @property
    def browser_login(self) -> BrowserLogin:
        return self.query_one(BrowserLogin)

    @property
    def login_max_wait_s(self) -> float:
        return self.browser_login.max_wait_s

    @login_max_wait_s.setter
    def login_max_wait_s(self, seconds: float) -> None:
        self.browser_login.max_wait_s = seconds

    @property
    def key_box(self) -> InferenceKeyBox:
        return self.query_one(InferenceKeyBox)

    @property
    def keys_pane(self) -> ApiKeysPane:
        return self.query_one(ApiKeysPane)

    @property
    def activity_pane(self) -> ActivityPane:
        return self.query_one(ActivityPane)

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
        self.browser_login.forget(self.app.context.login)
        self.key_box.forget()
        self.profile_box.forget()
        self.keys_pane.not_available("")
        self.activity_pane.not_available("")

    def context_changed(self, context: AppContext) -> None:
        session = self.app.session
        if session is not None:
            self.query_one("#credentials", Static).update(credentials_table(session))
            self.keys_pane.follow_key(active_key(session))
        self.browser_login.idle(context.login)
        self.refresh_bindings()

    def action_reload(self) -> None:
        session = self.app.session
        if session is None:
            return
        client = session.control_plane
        if client is None:
            self.profile_box.not_available(session.control_plane_reason or "Not logged in.")
            self.keys_pane.not_available(
                "Log in (l) to list your API keys; a key can also be pasted on Overview (k)."
            )
            self.activity_pane.not_available("Log in (l) to see your account's activity.")
            self.refresh_bindings()
            return
        self.profile_box.load(session)
        self.keys_pane.load(client, self.now(), active_key(session))
        if self.activity_pane.loaded or self.active_tab == "activity":
            self.activity_pane.load(client)

    # -- bindings shown only when they can act -------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.query(ApiKeysPane):  # not composed yet: nothing to act on
            return action in ("login", "reload", "show_tab")
        if not self.on_its_tab(action):
            return False
        session = self.app.session
        waiting = self.browser_login.is_waiting
        logged_in = session is not None and session.control_plane is not None
        if action in ("cancel_login", "copy_url"):
            return waiting
        if action == "leave_field":
            return isinstance(self.focused, Input)
        if action == "login":  # on every tab: a 401 anywhere leads here, and back
            return not waiting
        if action in ("refresh_token", "logout"):
            return session is not None and bool(session.settings.control_plane_token.value)
        if action in ("pick_key", "new_key", "filter_keys", "cycle_status"):
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
        if tabs := self.TAB_ACTIONS.get(action):
            super().run_when_ready(f"show_tab('{tabs[0]}')")
        super().run_when_ready(action)

    # -- browser login (account_login) ---------------------------------------------------------------
    def action_login(self) -> None:
        if self.app.session is None:
            return
        tab = self.active_tab
        self.resume_tab = None if tab == "overview" else tab
        self.action_show_tab("overview")  # where the login shows its progress
        self.browser_login.log_in(self.app.session)

    def on_browser_login_started(self) -> None:
        self.refresh_bindings()

    def on_browser_login_outcome(self, message: BrowserLogin.Outcome) -> None:
        if message.error is None and self.resume_tab:  # back to where the expired login stopped the user
            self.action_show_tab(self.resume_tab)
            self.notify(f"{message.text} Back to {TAB_LABELS[self.resume_tab]}.", timeout=5, markup=False)
        self.resume_tab = None
        self.refresh_bindings()

    def action_cancel_login(self) -> None:
        self.browser_login.cancel()
        self.refresh_bindings()

    def action_copy_url(self) -> None:
        self.browser_login.copy_url()

    def action_refresh_token(self) -> None:
        if self.app.session is not None:
            self.browser_login.refresh_token(self.app.session)

    def action_logout(self) -> None:
        self.browser_login.ask_logout()

    # -- inference API key (account_inference_key) ---------------------------------------------------
    def action_set_key(self) -> None:
        self.key_box.focus_input()

    def action_pick_key(self) -> None:
        self.action_show_tab("keys")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "api-keys":
            return
        event.stop()
        key = self.keys_pane.rows.get(event.row_key.value or "")
        if key is not None:
            self.key_box.use_listed(key, self.now())

    def on_inference_key_box_checked(self, message: InferenceKeyBox.Checked) -> None:
        if self.active_tab == "keys":  # picked from the list: say it there too
            self.notify(message.plain, timeout=5, markup=False)

    # -- API keys (account_keys) ---------------------------------------------------------------------
    def action_new_key(self) -> None:
        session = self.app.session
        if session is None or session.control_plane is None:
            return
        self.action_show_tab("keys")
        self.keys_pane.ask_new_key(session, self.now())

    def action_revoke_key(self) -> None:
        self.keys_pane.ask_revoke()

    def action_filter_keys(self) -> None:
        self.query_one("#keys-filter", Input).focus()

    def action_cycle_status(self) -> None:
        self.keys_pane.cycle_status()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # revoke depends on the highlighted key

    # -- activity (account_activity) -----------------------------------------------------------------
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

    # -- profile and terms (account_profile) ---------------------------------------------------------
    def action_edit_profile(self) -> None:
        session = self.app.session
        if self.user is None or session is None or session.control_plane is None:
            return
        self.action_show_tab("overview")
        self.profile_box.edit(session.control_plane)

    def action_accept_tos(self) -> None:
        self.profile_box.ask_accept_tos()

    def on_profile_box_user_loaded(self) -> None:
        self.refresh_bindings()
