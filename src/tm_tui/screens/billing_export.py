"""Export billing rows (the transactions in view, the usage table) as CSV or JSON to a typed path
(`ExportModal`: an existing file is replaced only after a second enter). The default path is in
`<data dir>/exports/`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType

from tm_tui.billing.export import FORMATS, default_path, write_rows
from tm_tui.widgets.export_modal import ExportModal


class BillingExportScreen(ExportModal):
    ID_PREFIX = "billing-export"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="billing_export.close")]

    def __init__(self, what: str, rows: Sequence[Mapping[str, str]], data_dir: Path) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        title = f"Export {what} ({len(rows):,} rows)"
        path = default_path(data_dir, f"{what}-{stamp}", "csv")
        super().__init__(title, [("CSV", "csv"), ("JSON", "json")], FORMATS, path)
        self.rows = rows

    def write(self, path: Path, fmt: str) -> Path:
        return write_rows(path, self.rows, fmt, overwrite=True)  # the modal asked first

    def saved_text(self, written: Path) -> str:
        return f"Exported {len(self.rows):,} rows to {written}"
