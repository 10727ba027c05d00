"""The browser login of Account's Overview: start one (`l`), wait with a countdown, cancel (esc), copy
the URL (`c`), refresh the token (`t`), log out (`o`).

`BrowserLogin` runs the three workers (one group: a new one replaces the old); each posts `Started`
or `Outcome`, and its handlers are the only code that changes the `LoginPanel`. The tokens are
saved through the app (`change_session`), which rebuilds the session: every section reloads.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

from tm_tui.screens.account_credentials import open_in_gui_browser, saved_where
from tm_tui.session import SessionChange
from tm_tui.state import LoginState
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.login_panel import LoginPanel

if TYPE_CHECKING:
    from tm_tui.app import TmApp
    from tm_tui.session import Session

DEFAULT_LOGIN_MAX_WAIT_S = 300.0
LOGIN_AGAIN = "Press l to start the login again."
IDLE_HINTS = {
    LoginState.LOGGED_IN: "Logged in. t refreshes the token now, o logs out, l logs in again.",
    LoginState.CHECKING: "Checking the login…",
    LoginState.EXPIRED: "The login has expired: press t to refresh it, or l to log in again.",
    LoginState.UNVERIFIED: "A token is set but the control plane could not be asked; r retries.",
    LoginState.NOT_LOGGED_IN: "Press l to log in to the control plane with your browser.",
}
GROUP = "browser-login"


class BrowserLogin(Vertical):
    app: TmApp  # narrows Widget.app

    class Started(Message):
        def __init__(self, url: str, max_wait_s: float, opened: bool) -> None:
            super().__init__()
            self.url, self.max_wait_s, self.opened = url, max_wait_s, opened

    class Outcome(Message):
        """The login, refresh or logout finished: `text` on success, else `error`."""

        def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Browser login"
        self.max_wait_s = DEFAULT_LOGIN_MAX_WAIT_S

    def compose(self) -> ComposeResult:
        yield LoginPanel(id="login")

    @property
    def panel(self) -> LoginPanel:
        return self.query_one(LoginPanel)

    @property
    def is_waiting(self) -> bool:
        return self.panel.is_waiting

    def idle(self, login: LoginState) -> None:
        self.panel.idle(IDLE_HINTS[login])

    def forget(self, login: LoginState) -> None:
        """Another profile is active: the last outcome was the previous one's (a running login stays)."""
        if not self.is_waiting:
            self.panel.reset()
            self.idle(login)

    # -- log in ----------------------------------------------------------------------------------------
    @work(exclusive=True, group=GROUP)
    async def log_in(self, session: Session) -> None:
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
            self.post_message(self.Started(login.auth_url, self.max_wait_s, opened))
            tokens = await poll_login(login, max_wait_s=self.max_wait_s)
            change = SessionChange(save=partial(save_login, settings, tokens))
            path = await self.app.change_session(change)
        except LoginError as error:
            error.hint = error.hint or LOGIN_AGAIN
            self.post_message(self.Outcome(error=error))
            return
        except (TmError, ConfigFileError) as error:
            self.post_message(self.Outcome(error=error))
            return
        who = f" as {session.display_name}" if session.display_name else ""
        self.post_message(self.Outcome(f"Logged in{who}; the tokens were {saved_where(path)}."))

    def open_browser(self, url: str) -> bool:
        """Open the login page where a graphical browser exists; never in headless runs (tests)."""
        return not self.app.is_headless and open_in_gui_browser(url, self.app.env)

    def cancel(self) -> None:
        for worker in self.workers:
            if worker.group == GROUP and worker.is_running:
                worker.cancel()
        self.panel.cancelled("Login cancelled: nothing was saved. Press l to start again.")

    def copy_url(self) -> None:
        url = self.panel.url
        if url:
            self.app.copy_to_clipboard(url)
            self.notify("The login URL is on the clipboard.", timeout=3)

    # -- refresh and log out -----------------------------------------------------------------------------
    @work(exclusive=True, group=GROUP)
    async def refresh_token(self, session: Session) -> None:
        from tm_tui.api.errors import LoginError, TmError
        from tm_tui.api.login import refresh_tokens
        from tm_tui.config import ConfigFileError, save_login

        refresh = session.refresh_token
        if refresh is None:
            error = LoginError("No refresh token is stored with this login.", hint=LOGIN_AGAIN)
            self.post_message(self.Outcome(error=error))
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
            self.post_message(self.Outcome(error=error))
            return
        self.post_message(self.Outcome(f"Token refreshed; the new tokens were {saved_where(path)}."))

    def ask_logout(self) -> None:
        question = (
            "Forget the control-plane login of this profile? The tokens are deleted from disk "
            "(like `tm auth logout`); API keys stay as they are."
        )
        self.app.push_screen(ConfirmScreen("Log out", question, yes="Log out"), self._confirmed_logout)

    def _confirmed_logout(self, confirmed: bool | None) -> None:
        if confirmed and self.app.session is not None:
            self.log_out(self.app.session)

    @work(exclusive=True, group=GROUP)
    async def log_out(self, session: Session) -> None:
        from tm_tui.config import ConfigFileError, logout

        try:
            change = SessionChange(save=partial(logout, session.settings))
            changed = await self.app.change_session(change) or []
        except ConfigFileError as error:
            self.post_message(self.Outcome(error=error))
            return
        text = "Logged out" + (f"; removed {', '.join(map(str, changed))}." if changed else ".")
        token = session.settings.control_plane_token
        if token.value:  # an env var or a flag still provides one
            text += f" A token from {token.label} still applies: unset it to log out completely."
        self.post_message(self.Outcome(text))

    # -- handlers (the screen follows with its bindings and the tab to come back to) ----------------------
    def on_browser_login_started(self, message: Started) -> None:
        self.panel.waiting(message.url, message.max_wait_s, opened=message.opened)

    def on_browser_login_outcome(self, message: Outcome) -> None:
        if message.error is not None:
            self.panel.failed(message.error)
        else:
            self.panel.succeeded(message.text or "Done.")
