"""Write rows as CSV or JSON to a path the user typed; never over an existing file unless asked.

Billing data is personal, so files are written atomically with mode 0600 (`config.atomic`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

FORMATS = {"csv": ".csv", "json": ".json"}


def default_path(data_dir: Path, name: str, fmt: str) -> Path:
    return data_dir / "exports" / f"{name}{FORMATS[fmt]}"


def render(rows: Sequence[Mapping[str, str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    fields = list(rows[0]) if rows else []
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_rows(path: Path, rows: Sequence[Mapping[str, str]], fmt: str, *, overwrite: bool = False) -> Path:
    """Write and return the absolute path. FileExistsError when the file exists and `overwrite` is
    False; `ConfigFileError` (an OSError's message) when it cannot be written."""
    from tm_tui.config.atomic import write_private

    path = path.expanduser()
    if path.exists() and not overwrite:
        raise FileExistsError(str(path))
    write_private(path, render(rows, fmt))
    return path.resolve()
