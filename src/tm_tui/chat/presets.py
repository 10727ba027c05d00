"""Named parameter presets, kept per profile in `presets.json` in tm-tui's config dir.

    {"version": 1, "profiles": {"<profile>": {"<preset name>": {"temperature": "0.2", ...}}}}

Values are stored in the parameters panel's text form and validated again on load. Writes are
atomic, and a file that cannot be parsed is reported and never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tm_tui.chat.params import Params, validate_params
from tm_tui.config.atomic import write_public
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.paths import tui_config_dir

PRESETS_FILE = "presets.json"
FORMAT_VERSION = 1
MAX_NAME_CHARS = 64


class PresetError(ValueError):
    """A preset operation was refused (bad name, unknown preset, unreadable file)."""


class PresetStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open_default(cls, env: Mapping[str, str] | None = None) -> PresetStore:
        return cls(tui_config_dir(env) / PRESETS_FILE)

    def names(self, profile: str) -> list[str]:
        return sorted(self._read().get(profile, {}), key=str.casefold)

    def load(self, profile: str, name: str) -> tuple[Params, dict[str, str]]:
        """The preset's parameters and any values that no longer validate (`validate_params` errors)."""
        raw = self._read().get(profile, {}).get(name)
        if raw is None:
            raise PresetError(f"no preset named {name!r} in profile {profile!r}")
        return validate_params(raw)

    def save(self, profile: str, name: str, params: Params) -> None:
        name = name.strip()
        if not name:
            raise PresetError("a preset needs a name")
        if len(name) > MAX_NAME_CHARS or not name.isprintable():
            raise PresetError(f"a preset name is at most {MAX_NAME_CHARS} printable characters")
        profiles = self._read()
        profiles.setdefault(profile, {})[name] = {k: v for k, v in params.to_raw().items() if v}
        self._write(profiles)

    def delete(self, profile: str, name: str) -> None:
        profiles = self._read()
        if name not in profiles.get(profile, {}):
            raise PresetError(f"no preset named {name!r} in profile {profile!r}")
        del profiles[profile][name]
        if not profiles[profile]:
            del profiles[profile]
        self._write(profiles)

    def _read(self) -> dict[str, dict[str, dict[str, str]]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise PresetError(f"{self.path}: cannot read ({exc.strerror or exc})") from exc
        try:
            data = json.loads(text)
        except ValueError:
            raise PresetError(
                f"{self.path}: not valid JSON; fix or remove it (it was left untouched)"
            ) from None
        if not _well_formed(data):
            raise PresetError(f"{self.path}: unexpected layout; fix or remove it (it was left untouched)")
        return data["profiles"]

    def _write(self, profiles: dict[str, Any]) -> None:
        document = {"version": FORMAT_VERSION, "profiles": profiles}
        try:
            write_public(self.path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        except ConfigFileError as exc:
            raise PresetError(str(exc)) from exc


def _well_formed(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
        return False
    return all(
        isinstance(presets, dict)
        and all(
            isinstance(values, dict) and all(isinstance(v, str) for v in values.values())
            for values in presets.values()
        )
        for presets in data["profiles"].values()
    )
