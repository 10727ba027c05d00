"""Export billing rows (the transactions in view, the usage table) as CSV or JSON to a typed path.

The default path is in `<data dir>/exports/`. An existing file is replaced only when the user
confirms by saving to the same path a second time; the notice names the file written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from tm_tui.billing.export import FORMATS, default_path, write_rows

HERE = Path(__file__).parent


class BillingExportScreen(ModalScreen[Path | None]):
    CSS_PATH = HERE / "billing_export.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="billing_export.close")]

    def __init__(self, what: str, rows: Sequence[Mapping[str, str]], data_dir: Path) -> None:
        super().__init__()
        self.what, self.rows, self.data_dir = what, rows, data_dir
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.written: Path | None = None
        self._confirm: Path | None = None  # an existing file the user was warned about

    def compose(self) -> ComposeResult:
        with Vertical(id="billing-export-box") as box:
            box.border_title = f"Export {self.what} ({len(self.rows):,} rows)"
            box.border_subtitle = "enter saves · esc closes"
            with Horizontal(classes="export-row"):
                yield Select([("CSV", "csv"), ("JSON", "json")], value="csv", allow_blank=False,
                             id="billing-export-format", compact=True)  # fmt: skip
                yield Button("Save", id="billing-export-save", compact=True)
            yield Input(str(self.default("csv")), id="billing-export-path")
            yield Static("", id="billing-export-note", markup=False)

    def default(self, fmt: str) -> Path:
        return default_path(self.data_dir, f"{self.what}-{self.stamp}", fmt)

    def on_mount(self) -> None:
        self.query_one("#billing-export-path").focus()

    @property
    def fmt(self) -> str:
        return str(self.query_one("#billing-export-format", Select).value)

    @on(Select.Changed, "#billing-export-format")
    def _format_changed(self) -> None:
        path_input = self.query_one("#billing-export-path", Input)
        path = Path(path_input.value)
        if path.suffix in FORMATS.values():  # only a suffix we chose is swapped
            path_input.value = str(path.with_suffix(FORMATS[self.fmt]))

    @on(Button.Pressed, "#billing-export-save")
    @on(Input.Submitted, "#billing-export-path")
    def save(self) -> None:
        from tm_tui.config.errors import ConfigFileError

        note = self.query_one("#billing-export-note", Static)
        raw = self.query_one("#billing-export-path", Input).value.strip()
        if not raw:
            note.update(Text("Type a file path.", "italic"))
            return
        path = Path(raw).expanduser()
        try:
            self.written = write_rows(path, self.rows, self.fmt, overwrite=path == self._confirm)
        except FileExistsError:
            self._confirm = path
            note.update(Text(f"{path} exists: enter again to replace it, or change the path.", "bold"))
            return
        except ConfigFileError as error:
            note.update(Text(f"Not saved: {error}", "bold"))
            return
        note.update(Text.assemble("Saved to ", (str(self.written), "bold")))
        self.notify(f"Exported {len(self.rows):,} rows to {self.written}", title="Export", markup=False)

    def action_close(self) -> None:
        self.dismiss(self.written)
