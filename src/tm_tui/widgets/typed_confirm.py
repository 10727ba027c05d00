"""`TypedConfirmScreen`: a confirmation for the riskiest actions (revoking the key in use): the user
types a given word (the key's name) before the action runs. Dismisses with True or False."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TypedConfirmScreen(ModalScreen[bool]):
    CSS_PATH = Path(__file__).with_name("form_modal.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="typed.cancel"),
    ]

    def __init__(self, title: str, question: str, expected: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.expected = expected

    def compose(self) -> ComposeResult:
        with Vertical(id="typed-box") as box:
            box.border_title = self.title_text
            yield Static(self.question, id="typed-question", markup=False)
            yield Input(placeholder="type it here, then enter", id="typed-input")
            yield Static("", id="typed-message", markup=False)
            yield Static("enter confirms · esc cancels", classes="form-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.expected:
            self.dismiss(True)
            return
        self.query_one("#typed-message", Static).update(
            Text("✗ That does not match: nothing was done. Type it exactly, or esc.", "bold")
        )

    def action_cancel(self) -> None:
        self.dismiss(False)
