"""Last-known state shown at start-up, before settings are resolved or any network call answers.

One small JSON file in the data dir: the last active profile and theme and, per profile, the user's
display name and the last model list of each surface. It holds no secret. A missing or unreadable
file is an empty cache (it is only a hint), and writes are atomic so a crash never leaves half a file.
A file that exists but cannot be used is never silently replaced: `problem` names it; one that could
be read but not parsed is moved aside (`cache.json.broken`) on the next save, one that could not be
read at all (permissions, a directory in the way) is left alone and the cache stays in memory.

It is read before the first frame, so it imports only light modules (stdlib, `tm_tui.config.paths`
and `tm_tui.config.atomic`; the config package loads its pydantic parts lazily).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tm_tui.config.atomic import write_public
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.paths import tui_data_dir
from tm_tui.config.readers import load_json_object

CACHE_FILE = "cache.json"
BROKEN_SUFFIX = ".broken"
FORMAT_VERSION = 1

ModelRecord = dict[str, Any]  # JSON object with at least an "id"


@dataclass
class ProfileCache:
    display_name: str | None = None
    models: dict[str, list[ModelRecord]] = field(default_factory=dict)  # surface -> records


class Cache:
    def __init__(self, path: Path, data: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.last_profile: str | None = None
        self.theme: str | None = None
        self._profiles: dict[str, ProfileCache] = {}
        self.problem: ConfigFileError | None = None  # the file exists but could not be used
        self._unreadable = False  # then saving would replace what we could not even read
        if data:
            self._absorb(data)

    @classmethod
    def default_path(cls, env: Mapping[str, str] | None = None) -> Path:
        return tui_data_dir(env) / CACHE_FILE

    @classmethod
    def load(cls, path: Path | None = None) -> Cache:
        path = path or cls.default_path()
        try:
            return cls(path, load_json_object(path))
        except ConfigFileError as problem:
            cache = cls(path)
            cache.problem = problem
            cache._unreadable = not _is_readable_file(path)
            return cache

    def profile(self, name: str) -> ProfileCache:
        return self._profiles.get(name) or ProfileCache()

    def remember_display_name(self, profile: str, display_name: str | None) -> None:
        self._profiles.setdefault(profile, ProfileCache()).display_name = display_name

    def remember_models(self, profile: str, surface: str, models: list[ModelRecord]) -> None:
        self._profiles.setdefault(profile, ProfileCache()).models[surface] = list(models)

    def forget(self, profile: str) -> None:
        self._profiles.pop(profile, None)
        if self.last_profile == profile:
            self.last_profile = None

    def save(self) -> Path | None:
        """Write the cache; raises `ConfigFileError` when the data dir is not writable. Returns where
        a broken file was moved aside, if this save did it. A file we could not read is not touched."""
        if self._unreadable:
            return None
        moved = None
        if self.problem is not None:
            moved = self.path.with_name(self.path.name + BROKEN_SUFFIX)
            try:
                self.path.replace(moved)
            except FileNotFoundError:
                moved = None  # already gone: nothing to keep
            except OSError as exc:
                raise ConfigFileError(self.path, f"cannot move aside: {exc.strerror or exc}") from None
            self.problem = None
        payload = {
            "version": FORMAT_VERSION,
            "last_profile": self.last_profile,
            "theme": self.theme,
            "profiles": {
                name: {"display_name": entry.display_name, "models": entry.models}
                for name, entry in self._profiles.items()
            },
        }
        write_public(self.path, json.dumps(payload, indent=1, sort_keys=True))
        return moved

    def _absorb(self, data: Mapping[str, Any]) -> None:
        # Tolerant reading: anything of the wrong shape is skipped, never raised.
        if data.get("version") != FORMAT_VERSION:
            return
        last, theme = data.get("last_profile"), data.get("theme")
        self.last_profile = last if isinstance(last, str) else None
        self.theme = theme if isinstance(theme, str) else None
        profiles = data.get("profiles")
        if not isinstance(profiles, dict):
            return
        for name, raw in profiles.items():
            if not isinstance(raw, dict):
                continue
            display = raw.get("display_name")
            models = raw.get("models")
            models = models if isinstance(models, dict) else {}
            self._profiles[name] = ProfileCache(
                display_name=display if isinstance(display, str) else None,
                models={
                    surface: [m for m in records if isinstance(m, dict) and isinstance(m.get("id"), str)]
                    for surface, records in models.items()
                    if isinstance(records, list)
                },
            )


def _is_readable_file(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except OSError:
        return False
