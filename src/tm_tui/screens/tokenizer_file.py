"""Open a text file into the Tokenizer: a small path prompt and a careful reader."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

MAX_FILE_BYTES = 8 * 1024 * 1024


def read_text(path: str) -> str:
    """The file's text; ValueError with a readable reason when it cannot be used (never half-decoded)."""
    file = Path(path).expanduser()
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise ValueError(f"{path} is not a file.")
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{path} is {size:,} bytes; the Tokenizer opens files up to {MAX_FILE_BYTES:,}.")
        data = file.read_bytes()
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error.strerror or error}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {error.start:,} is 0x{data[error.start]:02X})."
        ) from None


class OpenFileScreen(ModalScreen[str | None]):
    """Asks for a path; Enter opens it, Escape cancels."""

    CSS_PATH = Path(__file__).with_name("tokenizer_file.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="tokenizer_file.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open a UTF-8 text file (Enter opens it, Escape cancels)")
            yield Input(placeholder="path/to/file.txt", id="tok-file-path")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
