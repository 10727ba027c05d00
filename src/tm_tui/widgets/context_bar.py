"""The header every section shows: profile, surface, model and control-plane login state.

The app owns the only `AppContext` (`TmApp.context`, a reactive); each bar watches it. Code that
changes the session posts `ContextChanged()` and the app's single handler rebuilds the snapshot
from the session, so there is one writer. The bar is a single widget on purpose: it is part of the
first frame, and every extra widget there costs start-up time.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tm_tui.session import SURFACE_NAMES, AppContext, LoginState

SEPARATOR = ("  │  ", "$foreground 30%")
LOGIN_STYLES = {
    LoginState.LOGGED_IN: "$success",
    LoginState.EXPIRED: "$error",
    LoginState.NOT_LOGGED_IN: "$warning",
    LoginState.UNVERIFIED: "$warning",
}


class ContextChanged(Message):
    """Profile, surface, model or login state changed: the app re-reads them from the session."""


def render_context(context: AppContext) -> Content:
    # Profile and model names may come from a server: plain text only (Content strips control codes).
    profile = context.profile + (f" ({context.display_name})" if context.display_name else "")
    return Content.assemble(
        (" tm-tui ", "bold $text-primary on $primary 30%"),
        " ",
        ("profile ", "dim"),
        profile,
        "  " if context.demo else "",
        ("DEMO", "bold $accent") if context.demo else "",
        SEPARATOR,
        ("surface ", "dim"),
        SURFACE_NAMES.get(context.surface, context.surface),
        SEPARATOR,
        ("model ", "dim"),
        (context.model, "") if context.model else ("none", "italic dim"),
        SEPARATOR,
        ("control plane ", "dim"),
        (context.login.value, LOGIN_STYLES.get(context.login, "")),
    )


class ContextBar(Static):
    def __init__(self) -> None:
        super().__init__(markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._show, init=True)

    def _show(self, context: AppContext) -> None:
        self.update(render_context(context))
