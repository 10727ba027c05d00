"""Reading config files into plain data, turning every failure into a `ConfigFileError`.

A missing file is not an error (None); everything else — a directory in the way, permission denied,
undecodable bytes, a file too large to be a config, invalid TOML/JSON, JSON that is not an object —
is, with a one-line reason that names no secret (tomllib/json error messages give positions, not
content).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from tm_tui.config.errors import ConfigFileError

# Far above any real config/auth/cache file; stops a runaway file from stalling start-up.
MAX_FILE_BYTES = 4 * 1024 * 1024


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ConfigFileError(path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not read")
        return data.decode("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, expected a file") from None
    except PermissionError:
        raise ConfigFileError(path, "permission denied while reading") from None
    except UnicodeDecodeError:
        raise ConfigFileError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot read: {exc.strerror or type(exc).__name__}") from None


def load_toml(path: Path) -> dict[str, Any] | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(path, f"invalid TOML: {exc}") from None


def load_json_object(path: Path) -> dict[str, Any] | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(path, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigFileError(path, "expected a JSON object at the top level")
    return data
