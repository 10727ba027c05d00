"""`SecretOnceScreen`: a newly created API key, shown this one time.

The secret is masked until revealed (`v`), can be copied with OSC 52 (`c`, as the chat's code view
does) and made the active inference key in one step (`u`, through the `activate` coroutine the
caller passes). Closing forgets it: the screen drops its reference and nothing else keeps one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from tm_tui.config.secrets import mask
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel

WARNING = (
    "This is the only time this key is shown. Copy it now (c) and keep it somewhere safe: "
    "it cannot be shown again. If it is lost, create another key and revoke this one."
)


class SecretOnceScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("form_modal.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_reveal", "Show/hide", id="secret.reveal", tooltip="Show or hide the key"),
        Binding("c", "copy", "Copy", id="secret.copy", tooltip="Copy the key to the clipboard (OSC 52)"),
        Binding("u", "use", "Use for inference", id="secret.use", tooltip="Make it the active inference key"),
        # Not enter: a habitual enter must not throw the only view of the key away.
        Binding("escape", "close", "Done", id="secret.close"),
    ]

    class Activated(Message):
        def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, name: str, secret: str, activate: Callable[[str], Awaitable[str]]) -> None:
        super().__init__()
        self.key_name = name
        self._secret = secret
        self.activate = activate
        self.revealed = False
        self.copied = False
        self.used = False
        self.warned = False

    def compose(self) -> ComposeResult:
        with Vertical(id="secret-box") as box:
            box.border_title = "New API key"
            yield Static(Text.assemble("Name  ", (sanitize(self.key_name), "bold")), markup=False)
            yield Static("", id="secret-value", markup=False)
            yield Static(WARNING, id="secret-warning", markup=False)
            yield Static("", id="secret-message", markup=False)
            yield ErrorPanel(id="secret-error")
            yield Static(
                "v shows/hides · c copies · u makes it the active inference key · esc closes",
                classes="secret-keys",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#secret-error", ErrorPanel).display = False
        self._show_value()

    def _show_value(self) -> None:
        shown = self._secret if self.revealed else mask(self._secret)
        hint = "" if self.revealed else "   (masked: v shows it)"
        self.query_one("#secret-value", Static).update(Text.assemble((shown, "bold"), (hint, "dim")))

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed
        self._show_value()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._secret)
        self.copied = True
        self.notify("Copied the API key to the clipboard (OSC 52).", timeout=4)

    def action_use(self) -> None:
        self.query_one("#secret-message", Static).update(
            Text("Checking the key on the active surface…", "italic")
        )
        self.query_one("#secret-error", ErrorPanel).display = False
        self.run_activate(self._secret)

    @work(exclusive=True, group="secret-use")
    async def run_activate(self, secret: str) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.config import ConfigFileError

        try:
            text = await self.activate(secret)
        except (TmError, ConfigFileError) as error:
            self.post_message(self.Activated(error=error))
        else:
            self.post_message(self.Activated(text))

    def on_secret_once_screen_activated(self, message: Activated) -> None:
        message.stop()
        failed = self.query_one("#secret-error", ErrorPanel).show(message.error)
        self.used = not failed
        text = "✗ The key was not made active." if failed else message.text or ""
        self.query_one("#secret-message", Static).update(Text(text, "bold"))

    def action_close(self) -> None:
        if not (self.copied or self.used or self.warned):
            self.warned = True  # one more esc closes: the user has been told what that means
            self.query_one("#secret-message", Static).update(
                Text("Not copied yet: esc again closes, and this key cannot be shown again.", "bold")
            )
            return
        self._secret = ""  # forgotten: the one copy this screen held
        self.dismiss(None)
