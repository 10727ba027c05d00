"""The header every section shows: profile, surface, model and control-plane login state.

The app owns the only `AppContext` (`TmApp.context`, a reactive); each bar watches it. Code that
changes the session posts `ContextChanged()` and the app's single handler rebuilds the snapshot
from the session, so there is one writer.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

from tm_tui.session import SURFACE_NAMES, AppContext, LoginState
from tm_tui.widgets.error_panel import sanitize


class ContextChanged(Message):
    """Profile, surface, model or login state changed: the app re-reads them from the session."""


class ContextBar(Horizontal):
    DEFAULT_CLASSES = "context-bar"

    def compose(self) -> ComposeResult:
        yield Static("tm-tui", id="ctx-title", markup=False)
        for part in ("profile", "surface", "model", "login"):
            yield Static(id=f"ctx-{part}", classes="ctx-part", markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._show, init=True)

    def _show(self, context: AppContext | None) -> None:
        if context is None:
            return
        profile = Text.assemble(("profile ", "dim"), sanitize(context.profile))
        if context.display_name:
            profile.append(f" ({sanitize(context.display_name)})")
        if context.demo:
            profile.append(" DEMO", "bold")
        self.query_one("#ctx-profile", Static).update(profile)
        self.query_one("#ctx-surface", Static).update(
            Text.assemble(("surface ", "dim"), SURFACE_NAMES.get(context.surface, context.surface))
        )
        self.query_one("#ctx-model", Static).update(
            Text.assemble(("model ", "dim"), sanitize(context.model) if context.model else ("none", "italic"))
        )
        login = self.query_one("#ctx-login", Static)
        login.update(Text.assemble(("control plane ", "dim"), context.login.value))
        login.set_class(context.login == LoginState.LOGGED_IN, "-ok")
        login.set_class(
            context.login in (LoginState.EXPIRED, LoginState.NOT_LOGGED_IN, LoginState.UNVERIFIED), "-warn"
        )
