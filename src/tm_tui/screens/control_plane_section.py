"""`ControlPlaneSection`: the base of sections fed by the control plane (Support, Deployments).

What they share: a line saying why nothing can load (not logged in), and the way back from a 401 —
`action_login` opens Account's browser login and, once the login succeeds, brings the user back to
this section, where `session_changed` reloads what was shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tm_tui.api.errors import AuthError
from tm_tui.screens.sections import SectionScreen
from tm_tui.state import AppContext, LoginState

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient

LOGIN_HINT = "ctrl+l logs in (Account) and comes back here."


def needs_login(error: BaseException | None) -> bool:
    return isinstance(error, AuthError)


class ControlPlaneSection(SectionScreen):
    def __init__(self) -> None:
        super().__init__()
        self._back_after_login: int | None = None  # the session generation when the login began

    @property
    def control_plane(self) -> ControlPlaneClient | None:
        session = self.app.session
        return session.control_plane if session is not None else None

    def not_logged_in_text(self) -> str:
        session = self.app.session
        reason = session.control_plane_reason if session is not None else None
        return f"{reason or 'Not logged in to the control plane.'} {LOGIN_HINT}"

    def action_login(self) -> None:
        """Log in from Account, then come back here (see `context_changed`)."""
        self._back_after_login = self.app.context.generation
        self.app.action_open_section("account", "login")

    def context_changed(self, context: AppContext) -> None:
        began = self._back_after_login
        # A new generation: the login rebuilt the clients (not a stale "logged in" from before).
        if began is not None and context.generation > began and context.login == LoginState.LOGGED_IN:
            self._back_after_login = None
            self.app.action_open_section(self.SECTION_ID)
