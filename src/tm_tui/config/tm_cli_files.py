"""Interop with the `tm` CLI's files: `config.toml` and `auth.json` under its root (see `paths`).

Reading follows the CLI (wire reference §7.2/§7.3):
* `config.toml`: top-level `controlplane_base`, `timeout_seconds`, `max_retries`, `ca_bundle`;
  `gateway_provider/api_key/user_id/model_id` only from `[overrides]` over `[managed]` (top-level
  `gateway_*` is ignored); `profile`/`profiles`/`controlplane_auth_json` make the file invalid.
* `auth.json`: a JSON object with a non-empty string `access_token`; `refresh_token` optional;
  other keys are whatever the server sent and are kept.

A file that cannot be used raises `ConfigFileError`; a single key of the wrong type becomes one
entry of `TmCliConfig.problems` and the rest of the file still counts.

Writing: `write_tm_auth` stores the exchange/refresh body verbatim (0600, atomic) and
`write_tm_overrides` edits `[overrides]` keys in place, keeping comments and other content. Neither
ever replaces a file that exists but could not be parsed.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from tm_tui.config.atomic import write_private
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.readers import load_json_object, load_toml
from tm_tui.config.secrets import Secret
from tm_tui.config.values import (
    parse_base_url,
    parse_non_negative_int,
    parse_positive_float,
    parse_provider,
    parse_str,
)

MANAGED = "managed"
OVERRIDES = "overrides"
GATEWAY_KEYS = ("gateway_provider", "gateway_api_key", "gateway_user_id", "gateway_model_id")
_REJECTED_KEYS = {
    "profile": "named profiles are not supported by the tm CLI; move the values to top-level keys",
    "profiles": "named profiles are not supported by the tm CLI; flatten [profiles.*] into top-level keys",
    "controlplane_auth_json": "controlplane_auth_json is not supported; auth always lives in auth.json",
}
# Top-level keys with their parsers; gateway_user_id is validated where it is used (settings).
_TOP_LEVEL: dict[str, Callable[[object], object]] = {
    "controlplane_base": parse_base_url,
    "timeout_seconds": parse_positive_float,
    "max_retries": parse_non_negative_int,
    "ca_bundle": parse_str,
}
_GATEWAY: dict[str, Callable[[object], object]] = {
    "gateway_provider": parse_provider,
    "gateway_api_key": parse_str,
    "gateway_user_id": parse_str,
    "gateway_model_id": parse_str,
}


@dataclass
class TmCliConfig:
    """What tm-tui uses from the CLI's `config.toml`. `exists` is False for a missing file."""

    path: Path
    exists: bool = False
    controlplane_base: str | None = None
    timeout_seconds: float | None = None
    max_retries: int | None = None
    ca_bundle: str | None = None
    gateway_provider: str | None = None
    gateway_api_key: Secret | None = None
    gateway_user_id: str | None = None
    gateway_model_id: str | None = None
    # gateway key -> the table it came from ("overrides" or "managed"), for source labels
    sections: dict[str, str] = field(default_factory=dict)
    problems: list[ConfigFileError] = field(default_factory=list)


@dataclass
class TmAuth:
    """A parsed `auth.json`; `data` is the whole object as stored (secrets included — never display)."""

    path: Path
    access_token: Secret
    refresh_token: Secret | None
    data: dict[str, Any] = field(repr=False)


def read_tm_config(path: Path) -> TmCliConfig:
    """Parse the CLI's config.toml. Raises `ConfigFileError` when the file as a whole is unusable."""
    raw = load_toml(path)
    config = TmCliConfig(path=path, exists=raw is not None)
    if raw is None:
        return config
    for key, reason in _REJECTED_KEYS.items():
        if key in raw:
            raise ConfigFileError(path, f"key '{key}' is not allowed: {reason}")
    for key, parse in _TOP_LEVEL.items():
        _assign(config, key, raw.get(key), parse, key)
    tables = {}
    for name in (MANAGED, OVERRIDES):
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigFileError(path, f"[{name}] must be a TOML table")
        tables[name] = table
    for key, parse in _GATEWAY.items():
        for name in (OVERRIDES, MANAGED):  # first usable value wins: [overrides] over [managed]
            if _assign(config, key, tables[name].get(key), parse, f"[{name}].{key}"):
                config.sections[key] = name
                break
    return config


def _assign(
    config: TmCliConfig, key: str, raw: object, parse: Callable[[object], object], where: str
) -> bool:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return False
    try:
        value = parse(raw)
    except ValueError as exc:
        config.problems.append(ConfigFileError(config.path, f"{where}: {exc}"))
        return False
    if key == "gateway_api_key":
        value = Secret(str(value))
    setattr(config, key, value)
    return True


def read_tm_auth(path: Path) -> TmAuth | None:
    """Parse auth.json; None when it does not exist, `ConfigFileError` when it is unusable."""
    data = load_json_object(path)
    if data is None:
        return None
    token = data.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ConfigFileError(path, "missing or invalid 'access_token' (expected a non-empty string)")
    refresh = data.get("refresh_token")
    if refresh is not None and not isinstance(refresh, str):
        raise ConfigFileError(path, "'refresh_token' must be a string")
    return TmAuth(
        path=path,
        access_token=Secret(token.strip()),
        refresh_token=Secret(refresh.strip()) if refresh and refresh.strip() else None,
        data=data,
    )


def validate_tokens(tokens: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Check an exchange/refresh body before it is stored: it must carry a usable access_token."""
    token = tokens.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ConfigFileError(path, "login response has no usable 'access_token'; nothing was saved")
    return dict(tokens)


def write_tm_auth(path: Path, tokens: Mapping[str, Any]) -> None:
    """Store the exchange/refresh body verbatim, in the CLI's format (indented JSON, 0600, atomic).

    An existing auth.json that cannot be parsed is left alone: log out (which deletes it) or fix it.
    """
    data = validate_tokens(tokens, path)
    _refuse_if_unparseable(path, load_json_object)
    write_private(path, json.dumps(data, indent=2) + "\n")


def delete_tm_auth(path: Path) -> bool:
    """Remove auth.json (like `tm auth logout`). Returns whether a file was removed."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, expected a file; not removed") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot remove: {exc.strerror or type(exc).__name__}") from None
    return True


def write_tm_overrides(path: Path, updates: Mapping[str, str | None]) -> None:
    """Set (or with None, remove) `[overrides]` gateway keys in the CLI's config.toml.

    Everything else in the file is kept, comments included when a line edit suffices. A file that
    exists but does not parse is never touched: the `ConfigFileError` is raised instead.
    """
    unknown = set(updates) - set(GATEWAY_KEYS)
    if unknown:
        raise ValueError(f"not [overrides] keys: {', '.join(sorted(unknown))}")
    original = _refuse_if_unparseable(path, load_toml) or {}
    if not isinstance(original.get(OVERRIDES, {}), dict):
        raise ConfigFileError(path, f"[{OVERRIDES}] must be a TOML table; not modified")
    expected = _with_overrides(original, updates)
    text = _read_existing_text(path)
    edited = _edit_table_lines(text, OVERRIDES, updates)
    if _parses_to(edited, expected):
        write_private(path, edited)
    else:  # unusual layout (dotted keys, inline table...): rewrite the data, losing comments
        write_private(path, tomli_w.dumps(expected))


def _refuse_if_unparseable(path: Path, load: Callable[[Path], Any]) -> Any:
    try:
        return load(path)
    except ConfigFileError as exc:
        raise ConfigFileError(path, f"{exc.reason}; not overwritten — fix or remove it") from None


def _read_existing_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _with_overrides(data: dict[str, Any], updates: Mapping[str, str | None]) -> dict[str, Any]:
    result = dict(data)
    table = dict(result.get(OVERRIDES, {}))
    for key, value in updates.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    result[OVERRIDES] = table
    return result


def _parses_to(text: str, expected: dict[str, Any]) -> bool:
    try:
        return tomllib.loads(text) == expected
    except tomllib.TOMLDecodeError:
        return False


_HEADER = re.compile(r"^\s*\[")


def _edit_table_lines(text: str, table: str, updates: Mapping[str, str | None]) -> str:
    """Line-level edit of `key = value` lines inside `[table]`; the caller verifies the result."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        lines += ["\n"] if lines and lines[-1].strip() else []
        lines.append(f"[{table}]\n")
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
    body = lines[start + 1 : end]
    for key, value in updates.items():
        key_line = re.compile(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
        new_line = [tomli_w.dumps({key: value})] if value is not None else []
        index = next((i for i, line in enumerate(body) if key_line.match(line)), None)
        if index is not None:
            body[index : index + 1] = new_line
        else:
            last = max((i for i, line in enumerate(body) if line.strip()), default=-1)
            body[last + 1 : last + 1] = new_line
    return "".join(lines[: start + 1] + body + lines[end:])
