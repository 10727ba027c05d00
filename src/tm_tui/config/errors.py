"""Errors of the config layer.

`ConfigFileError` names a broken file and what is wrong with it in one readable line. It never holds a
secret value: callers pass a reason built from key names and types only. `resolve_settings` collects
these as *problems* instead of raising, so a broken file never stops the app from starting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keeps `paths`/`atomic` importable without pydantic (cold start)
    from pydantic import ValidationError


class ConfigFileError(Exception):
    """A settings or credentials file could not be read, parsed or written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ProfileError(ValueError):
    """A profile operation was refused (unknown name, duplicate, deleting the active one...)."""


def describe_validation_error(exc: ValidationError) -> str:
    """First pydantic error as `loc: message`; pydantic's own text can echo the input, so it is not used."""
    first = exc.errors()[0]
    # Keys come from the file: quote any that is not plain printable text so the line stays one line.
    where = ".".join(
        str(part) if str(part).isprintable() and str(part) else repr(part) for part in first["loc"]
    )
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
