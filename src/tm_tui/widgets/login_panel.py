"""`LoginPanel`: what the browser login is doing — the URL to open, a spinner and a countdown while
waiting for approval, then the outcome (or an error with what to do next).

The panel only displays; Account's `BrowserLogin` box runs the login worker and calls `waiting()`,
`succeeded()`, `failed()` and `cancelled()` from its message handlers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK_S = 0.1


def countdown(seconds: float) -> str:
    """`4:59` style; never negative."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class LoginPanel(Vertical):
    DEFAULT_CLASSES = "login-panel"

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.url: str | None = None
        self.deadline: float | None = None
        self.has_outcome = False
        self.opened = False
        self._frame = 0
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="login-status", markup=False)
        yield Static("", id="login-url", markup=False)
        yield Static("", id="login-wait", markup=False)
        yield ErrorPanel(id="login-error")

    def on_mount(self) -> None:
        for part in ("#login-url", "#login-wait", "#login-error"):
            self.query_one(part).display = False

    @property
    def is_waiting(self) -> bool:
        return self.deadline is not None

    def idle(self, text: str) -> None:
        """A hint for what can be done; kept back while a login runs or its outcome is shown."""
        if not self.is_waiting and not self.has_outcome:
            self._show(Text(text, "italic"))

    def reset(self) -> None:
        """Forget the last outcome (another profile became active); `idle` shows a hint again."""
        self._stop()
        self.has_outcome = False
        self._show(Text(""))

    def waiting(self, url: str, max_wait_s: float, *, opened: bool = False) -> None:
        """Show the URL and start the spinner and countdown."""
        self.url = url
        self.opened = opened
        self.has_outcome = False
        self.deadline = self.clock() + max_wait_s
        self.query_one("#login-error", ErrorPanel).display = False
        self.query_one("#login-status", Static).update(
            "Approve the login in the browser window just opened, or open this address:"
            if opened
            else "Open this address in a browser to approve the login:"
        )
        url_widget = self.query_one("#login-url", Static)
        url_widget.update(Text(sanitize(url), "underline"))
        url_widget.display = True
        self.query_one("#login-wait", Static).display = True
        self._tick()
        if self._timer is None:
            self._timer = self.set_interval(TICK_S, self._tick)

    def succeeded(self, text: str) -> None:
        self._stop()
        self._show(Text("✓ " + sanitize(text), "bold"))
        self.set_class(True, "-ok")

    def cancelled(self, text: str) -> None:
        self._stop()
        self._show(Text(text, "italic"))

    def failed(self, error: BaseException) -> None:
        self._stop()
        self._show(Text("✗ The login did not complete.", "bold"))
        self.query_one("#login-error", ErrorPanel).show(error)

    def _tick(self) -> None:
        if self.deadline is None:
            return
        self._frame = (self._frame + 1) % len(SPINNER)
        left = countdown(self.deadline - self.clock())
        status = Text.assemble(
            (SPINNER[self._frame] + " ", "bold"),
            "Waiting for approval in the browser… ",
            (f"{left} left", "bold"),
            ("   esc cancels · c copies the URL", "dim"),
        )
        self.query_one("#login-wait", Static).update(status)

    def _stop(self) -> None:
        self.deadline = None
        self.has_outcome = True
        self.set_class(False, "-ok")
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _show(self, text: Text) -> None:
        self.query_one("#login-status", Static).update(text)
        for part in ("#login-url", "#login-wait", "#login-error"):
            self.query_one(part).display = False
