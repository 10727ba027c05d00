"""`FormModal`: a modal form whose submit runs in a worker and which stays open until it succeeds.

Subclasses compose their fields (`field()` adds a label, the input and a line for its error) and
turn the inputs into a request in `read()`, raising `FieldErrors` for bad input. A valid request
goes to the `submit` coroutine the caller passed in; a server rejection is shown on the form with
every value kept, and only a success dismisses the form (with the submit's result). Nothing is
half-done on screen: the caller sees either a result or nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel


class FieldErrors(ValueError):
    """Bad input: {input id: what is wrong}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def check_text(value: str, label: str, *, required: bool = False, max_length: int = 100) -> str | None:
    """What is wrong with a one-line text field, or None."""
    if required and not value:
        return f"{label} is required."
    if len(value) > max_length:
        return f"{label} is {len(value)} characters long; at most {max_length} are allowed."
    if sanitize(value) != value:
        return f"{label} contains control characters."
    return None


class FormModal[R, T](ModalScreen[T | None]):
    CSS_PATH = Path(__file__).with_name("form_modal.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Save", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    SUBMIT_LABEL = "Saving…"

    class Finished(Message):
        def __init__(self, result: Any = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.result, self.error = result, error

    def __init__(self, title: str, submit: Callable[[R], Awaitable[T]], *, intro: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.intro = intro
        self.submit = submit
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = self.title_text
            if self.intro:
                yield Static(self.intro, classes="form-intro", markup=False)
            yield from self.compose_fields()
            yield Static("", id="form-message", markup=False)
            yield ErrorPanel(id="form-error")
            yield Static("enter or ctrl+s saves · esc cancels", classes="form-keys", markup=False)

    def compose_fields(self) -> ComposeResult:
        raise NotImplementedError

    def read(self) -> R:
        """The request the inputs describe; raises `FieldErrors`."""
        raise NotImplementedError

    @staticmethod
    def field(label: str, widget: Input) -> Iterator[Widget]:
        yield Label(label, classes="form-label")
        yield widget
        yield Static("", id=f"{widget.id}-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#form-error", ErrorPanel).display = False
        for line in self.query(".field-error"):
            line.display = False
        self.query(Input).first().focus()

    def value(self, input_id: str) -> str:
        return self.query_one(f"#{input_id}", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.busy:
            return  # one request at a time: a second create must not race the first
        for line in self.query(".field-error"):
            line.display = False
        self.query_one("#form-error", ErrorPanel).display = False
        try:
            request = self.read()
        except FieldErrors as bad:
            for input_id, text in bad.errors.items():
                line = self.query_one(f"#{input_id}-error", Static)
                line.update(Text("✗ " + text))
                line.display = True
            self.query_one(f"#{next(iter(bad.errors))}", Input).focus()
            self._message("Fix the marked fields; nothing was sent.")
            return
        self.busy = True
        self._message(self.SUBMIT_LABEL)
        self.run_submit(request)

    @work(exclusive=True, group="form-submit")
    async def run_submit(self, request: R) -> None:
        from tm_tui.api.errors import TmError

        try:
            result = await self.submit(request)
        except TmError as error:
            self.post_message(self.Finished(error=error))
        else:
            self.post_message(self.Finished(result))

    def on_form_modal_finished(self, message: Finished) -> None:
        message.stop()
        self.busy = False
        if message.error is None:
            self.dismiss(message.result)
            return
        self.query_one("#form-error", ErrorPanel).show(message.error)
        self._message("✗ Not saved: your input is still here; fix it and save again, or esc.")

    def _message(self, text: str) -> None:
        self.query_one("#form-message", Static).update(Text(text, "italic"))

    def action_cancel(self) -> None:
        if not self.busy:  # a request in flight decides the outcome; wait for it
            self.dismiss(None)
