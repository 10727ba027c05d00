"""`ExportModal`: save something to a file the user names — a format, a path whose suffix follows the
format, Save (or enter). Billing's rows and Chat's conversation export through it.

An existing file is replaced only when the user saves to the same path in the same format a second
time; the note under the path and a notification name the file written. Subclasses say how to write
(`write`) and what to announce (`saved_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

CSS = Path(__file__).with_name("export_modal.tcss")


class ExportModal(ModalScreen[Path | None]):
    CSS_PATH = CSS
    ID_PREFIX = "export"  # of the ids of its widgets ("<prefix>-path", …), which tests name

    def __init__(
        self, title: str, formats: Sequence[tuple[str, str]], suffixes: Mapping[str, str], path: Path
    ) -> None:
        """`formats`: (label, format) in menu order, the first chosen; `suffixes`: format → ".ext";
        `path`: the path offered first (in the first format)."""
        super().__init__()
        self.title_text, self.formats, self.suffixes, self.first_path = title, formats, suffixes, path
        self.written: Path | None = None
        self._replace_ok: tuple[Path, str] | None = None  # an existing file the user agreed to replace

    def part_id(self, part: str) -> str:
        return f"{self.ID_PREFIX}-{part}"

    def compose(self) -> ComposeResult:
        with Vertical(id=self.part_id("box"), classes="export-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter saves · esc closes"
            with Horizontal(classes="export-row"):
                yield Select(self.formats, value=self.formats[0][1], allow_blank=False,
                             id=self.part_id("format"), classes="export-format", compact=True)  # fmt: skip
                yield Button("Save", id=self.part_id("save"), compact=True)
            yield Input(str(self.first_path), id=self.part_id("path"))
            yield Static("", id=self.part_id("note"), classes="export-note", markup=False)

    def on_mount(self) -> None:
        self.query_one(f"#{self.part_id('path')}").focus()

    @property
    def fmt(self) -> str:
        return str(self.query_one(f"#{self.part_id('format')}", Select).value)

    @on(Select.Changed)
    def _format_changed(self) -> None:
        path_input = self.query_one(f"#{self.part_id('path')}", Input)
        path = Path(path_input.value)
        if path.suffix in self.suffixes.values():  # only a suffix we chose is swapped
            path_input.value = str(path.with_suffix(self.suffixes[self.fmt]))

    @on(Button.Pressed)
    @on(Input.Submitted)
    def save(self) -> None:
        from tm_tui.config.errors import ConfigFileError

        note = self.query_one(f"#{self.part_id('note')}", Static)
        raw = self.query_one(f"#{self.part_id('path')}", Input).value.strip()
        if not raw:
            note.update(Text("Type a file path.", "italic"))
            return
        path = Path(raw).expanduser()
        if path.exists() and self._replace_ok != (path, self.fmt):
            self._replace_ok = (path, self.fmt)  # asked once per path and format
            note.update(
                Text.assemble(
                    (str(path), "bold"), " exists. Press Enter again to replace it, or change the path."
                )
            )
            return
        self._replace_ok = None
        try:
            self.written = self.write(path, self.fmt)
        except ConfigFileError as error:
            note.update(Text(f"Not saved: {error}", "bold"))
            return
        note.update(Text.assemble("Saved to ", (str(self.written), "bold")))
        self.notify(self.saved_text(self.written), title="Export", markup=False)

    def write(self, path: Path, fmt: str) -> Path:
        """Write (replacing a file there) and return the absolute path; raises ConfigFileError."""
        raise NotImplementedError

    def saved_text(self, written: Path) -> str:
        return f"Exported to {written}"

    def action_close(self) -> None:
        self.dismiss(self.written)
