"""`BillingPanel`: what every Billing tab shares — a status line with progress and when it was loaded,
its error beside the last good data (which stays), and one worker per panel that posts `Loaded`.

A panel implements `fetch(client)` (API calls only, in the worker) and `show(data)` (widgets only,
in the message handler that owns the panel's state).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import LoadingIndicator, Static

from tm_tui.billing.times import loaded_text
from tm_tui.widgets.error_panel import ErrorPanel

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient


def local_now() -> datetime:
    """The load time shown on each panel (tests pin it)."""
    return datetime.now().astimezone()


class BillingPanel(Vertical):
    DEFAULT_CLASSES = "billing-panel"

    class Loaded(Message):
        def __init__(self, panel: BillingPanel, data: Any = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.panel, self.data, self.error = panel, data, error

    class AuthFailed(Message):
        """A 401 that a token refresh could not fix: the screen offers the login."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded_at: datetime | None = None
        self.has_data = False
        self.stale = True  # to load when next shown (new session)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="panel-status"):
            yield LoadingIndicator(classes="panel-loading")
            yield Static(Text("not loaded yet", "dim"), classes="panel-loaded", markup=False)
            error = ErrorPanel()
            error.add_class("panel-error")
            yield error
        yield from self.compose_content()

    def compose_content(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.query_one(".panel-loading").display = False
        self.query_one(".panel-error").display = False

    # -- loading -----------------------------------------------------------------------------------
    def reload(self, client: ControlPlaneClient) -> None:
        self.query_one(".panel-loading").display = True
        self.query_one(".panel-loaded", Static).update(Text("loading…", "italic"))
        self.run_worker(self._fetch(client), group=f"billing-{self.id}", exclusive=True)

    async def _fetch(self, client: ControlPlaneClient) -> None:
        from tm_tui.api.errors import TmError

        try:
            data = await self.fetch(client)
        except TmError as error:
            self.post_message(self.Loaded(self, error=error))
            return
        self.post_message(self.Loaded(self, data))

    async def fetch(self, client: ControlPlaneClient) -> Any:
        raise NotImplementedError

    def on_billing_panel_loaded(self, message: Loaded) -> None:
        if message.panel is not self:
            return
        self.query_one(".panel-loading").display = False
        status = self.query_one(".panel-loaded", Static)
        if self.query_one(".panel-error", ErrorPanel).show(message.error):
            kept = f"last data {loaded_text(self.loaded_at)}" if self.loaded_at else "no data yet"
            status.update(Text(kept + " · r retries", "italic"))
            from tm_tui.api.errors import AuthError

            if isinstance(message.error, AuthError):
                self.post_message(self.AuthFailed())
            return
        self.loaded_at = local_now()
        self.has_data = True
        status.update(Text(loaded_text(self.loaded_at) + " · r reloads", "dim"))
        self.show(message.data)

    def show(self, data: Any) -> None:
        raise NotImplementedError
