"""The inference API key part of Account's Overview: paste a key (`k`), or pick one of the user's keys
on the API keys tab (enter); either is checked against the active surface before it is saved.

`InferenceKeyBox` runs the check in a worker that posts one `Checked`; its handler is the only code
that changes the box. A key that fails the check is not saved, and the field keeps it for a retry.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tm_tui.config.secrets import mask
from tm_tui.screens.account_credentials import activate_key
from tm_tui.screens.account_keys import key_status
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.masked_input import SecretInput

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import ApiKey
    from tm_tui.app import TmApp
    from tm_tui.session import Session


class InferenceKeyBox(Vertical):
    app: TmApp  # narrows Widget.app

    class Checked(Message):
        def __init__(self, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

        @property
        def plain(self) -> str:
            """One line for a notification."""
            return self.text or ("✗ The key was not saved: " + str(self.error))

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Inference API key"

    def compose(self) -> ComposeResult:
        yield SecretInput("paste an inference API key, then enter (esc leaves the field)", id="key-input")
        yield Static("", id="key-message", markup=False)
        yield ErrorPanel(id="key-error")

    def on_mount(self) -> None:
        self.query_one("#key-error", ErrorPanel).display = False

    def forget(self) -> None:
        """Another profile is active: the last check was of the previous one's key."""
        self.query_one("#key-message", Static).update("")
        self.query_one("#key-error", ErrorPanel).display = False

    def focus_input(self) -> None:
        self.query_one(SecretInput).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "key-input":
            return
        event.stop()
        key = event.value.strip()
        if not key:
            self._show(None, "Paste a key first.")
            return
        self.check(key)

    def use_listed(self, key: ApiKey, now: datetime) -> None:
        """A key picked on the API keys tab: only an active one is worth checking."""
        if not key.id:
            return
        status = key_status(key, now)
        if status != "active":
            self._show(None, f"The key “{sanitize(key.name or '?')}” is {status}: pick an active one.")
            return
        self.check(key.id)

    def check(self, key: str) -> None:
        session = self.app.session
        if session is None:
            return
        self.query_one("#key-message", Static).update(Text(f"Checking {mask(key)}…", "italic"))
        self.query_one("#key-error", ErrorPanel).display = False
        self.validate_and_save(session, key)

    @work(exclusive=True, group="account-key")
    async def validate_and_save(self, session: Session, key: str) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.config import ConfigFileError

        try:
            text = await activate_key(self.app, session, key)
        except (TmError, ConfigFileError) as error:
            self.post_message(self.Checked(error=error))
            return
        self.post_message(self.Checked(text))

    def on_inference_key_box_checked(self, message: Checked) -> None:
        if message.error is None:
            self.query_one(SecretInput).clear_secret()
            if isinstance(self.screen.focused, SecretInput):
                self.screen.set_focus(None)  # saved: the keys act again (p must not type into the field)
        self._show(message.error, message.text)

    def _show(self, error: BaseException | None, text: str | None) -> None:
        if self.query_one("#key-error", ErrorPanel).show(error):
            text = "✗ The key was not saved."
        self.query_one("#key-message", Static).update(Text(text or "", "bold"))
