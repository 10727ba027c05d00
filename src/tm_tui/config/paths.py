"""Where tm-tui and the `tm` CLI keep their files.

tm-tui's own directories come from platformdirs and can each be moved by an env var
(`TM_TUI_CONFIG_DIR`, `TM_TUI_DATA_DIR`, `TM_TUI_CACHE_DIR`) so tests and the demo stay isolated.
The `tm` CLI root is `$TM_CONFIG_HOME` (non-blank, `~` expanded) else literally
`$HOME/.config/tensormesh` — the CLI ignores `XDG_CONFIG_HOME` and so do we.
Every function takes an optional env mapping (default `os.environ`) so callers can resolve paths for
an explicit environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "tm-tui"
TUI_CONFIG_FILE = "config.toml"
TUI_CREDENTIALS_FILE = "credentials.json"
TM_CONFIG_FILE = "config.toml"
TM_AUTH_FILE = "auth.json"


def _override(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else None


def tui_config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return _override(env, "TM_TUI_CONFIG_DIR") or Path(platformdirs.user_config_dir(APP_NAME))


def tui_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return _override(env, "TM_TUI_DATA_DIR") or Path(platformdirs.user_data_dir(APP_NAME))


def tui_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return _override(env, "TM_TUI_CACHE_DIR") or Path(platformdirs.user_cache_dir(APP_NAME))


def tm_cli_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = _override(env, "TM_CONFIG_HOME")
    if override is not None:
        return override
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".config" / "tensormesh"


def tm_cli_config_path(env: Mapping[str, str] | None = None) -> Path:
    return tm_cli_home(env) / TM_CONFIG_FILE


def tm_cli_auth_path(env: Mapping[str, str] | None = None) -> Path:
    return tm_cli_home(env) / TM_AUTH_FILE
