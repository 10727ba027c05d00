"""tm-tui's own files in its config dir: `config.toml` (prefs, profiles) and `credentials.json`.

config.toml layout (holds no secret; written atomically):

    active_profile = "work"
    [ui]
    theme = "textual-dark"
    last_section = "chat"
    [profiles.work]
    control_plane_base_url = "https://api.staging.example"
    gateway_provider = "lambda"

credentials.json (0600, atomic), keyed by profile name:

    {"work": {"inference_api_key": "...", "auth": {<exchange/refresh body, access_token...>}}}

A file that exists but cannot be parsed raises `ConfigFileError` on load and is never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tm_tui.config.atomic import write_private, write_public
from tm_tui.config.errors import ConfigFileError, describe_validation_error
from tm_tui.config.paths import TUI_CONFIG_FILE, TUI_CREDENTIALS_FILE
from tm_tui.config.profiles import Profile
from tm_tui.config.readers import load_json_object, load_toml


class UiPrefs(BaseModel):
    model_config = ConfigDict(extra="allow")  # keep prefs a newer version wrote

    theme: str | None = None
    last_section: str | None = None


class TuiConfig(BaseModel):
    """The parsed config.toml. `profiles` never contains the implicit default unless customised."""

    model_config = ConfigDict(extra="allow")

    active_profile: str | None = None  # None: the default profile
    ui: UiPrefs = Field(default_factory=UiPrefs)
    profiles: dict[str, Profile] = Field(default_factory=dict)

    def to_toml(self) -> str:
        data: dict[str, Any] = {k: v for k, v in (self.model_extra or {}).items()}
        if self.active_profile is not None:
            data["active_profile"] = self.active_profile
        ui = self.ui.model_dump(exclude_none=True)
        if ui:
            data["ui"] = ui
        if self.profiles:
            data["profiles"] = {name: p.to_toml_table() for name, p in self.profiles.items()}
        return tomli_w.dumps(data)


def tui_config_path(config_dir: Path) -> Path:
    return config_dir / TUI_CONFIG_FILE


def credentials_path(config_dir: Path) -> Path:
    return config_dir / TUI_CREDENTIALS_FILE


def load_tui_config(config_dir: Path) -> TuiConfig:
    """Parse config.toml (an empty config when missing). Raises `ConfigFileError`."""
    path = tui_config_path(config_dir)
    raw = load_toml(path) or {}
    profiles = raw.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise ConfigFileError(path, "[profiles.<name>] entries must be TOML tables")
    try:
        return TuiConfig.model_validate(
            {**raw, "profiles": {name: {**table, "name": name} for name, table in profiles.items()}}
        )
    except ValidationError as exc:
        raise ConfigFileError(path, describe_validation_error(exc)) from None


def save_tui_config(config_dir: Path, config: TuiConfig) -> None:
    """Atomically write config.toml, unless the existing file does not parse."""
    path = tui_config_path(config_dir)
    load_tui_config(config_dir)  # raises instead of clobbering a file we could not read
    write_public(path, config.to_toml())


def load_credentials(config_dir: Path) -> dict[str, dict[str, Any]]:
    """All profiles' stored secrets (empty when the file is missing). Raises `ConfigFileError`."""
    path = credentials_path(config_dir)
    data = load_json_object(path) or {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ConfigFileError(path, f"entry {name!r} must be a JSON object")
        for key, value in entry.items():
            if key == "auth":
                if not isinstance(value, dict):
                    raise ConfigFileError(path, f"{f'{name}.auth'!r} must be a JSON object")
            elif not isinstance(value, str):
                raise ConfigFileError(path, f"{f'{name}.{key}'!r} must be a string")
    return data


def update_credentials(config_dir: Path, profile: str, changes: Mapping[str, Any]) -> None:
    """Set keys of one profile's entry (None removes a key; an emptied entry is dropped)."""
    data = load_credentials(config_dir)  # raises instead of clobbering a file we could not read
    entry = dict(data.get(profile, {}))
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    if entry:
        data[profile] = entry
    else:
        data.pop(profile, None)
    write_private(credentials_path(config_dir), json.dumps(data, indent=2) + "\n")


def rename_credentials(config_dir: Path, old: str, new: str | None) -> None:
    """Move (or with `new=None`, drop) a profile's credentials entry."""
    data = load_credentials(config_dir)
    if old not in data:
        return
    entry = data.pop(old)
    if new is not None:
        data[new] = entry
    write_private(credentials_path(config_dir), json.dumps(data, indent=2) + "\n")
