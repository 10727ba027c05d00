"""`SecretInput`: an `Input` that shows bullets instead of the secret typed or pasted into it.

The value is only ever read by the code that validates and stores it; ctrl+t reveals it on demand
(e.g. to check a paste), and it is masked again as soon as the input loses focus.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input


class SecretInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+t", "toggle_reveal", "Show/hide", id="secret.toggle", tooltip="Show or hide the secret"
        ),
    ]

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, password=True, id=id, select_on_focus=False)

    def action_toggle_reveal(self) -> None:
        self.password = not self.password

    def on_blur(self, event: events.Blur) -> None:
        self.password = True

    def clear_secret(self) -> None:
        self.value = ""
        self.password = True
