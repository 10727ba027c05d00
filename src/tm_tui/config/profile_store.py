"""`ProfileStore`: list/create/update/rename/delete profiles and remember the active one.

Every call re-reads tm-tui's config.toml and writes it back atomically, so two running instances
never lose each other's edits by holding stale state. If the file exists but cannot be parsed, every
call raises `ConfigFileError` and nothing is written. The `default` profile always exists (implicit
until customised) and cannot be deleted or renamed; neither can the active profile be deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tm_tui.config import paths
from tm_tui.config.errors import ProfileError, describe_validation_error
from tm_tui.config.profiles import DEFAULT_PROFILE, Profile, default_profile, validate_profile_name
from tm_tui.config.tui_config import (
    TuiConfig,
    UiPrefs,
    load_tui_config,
    rename_credentials,
    save_tui_config,
)
from tm_tui.config.values import Surface


class ProfileStore:
    def __init__(self, config_dir: Path | None = None) -> None:
        self.config_dir = config_dir if config_dir is not None else paths.tui_config_dir()

    # -- reading -------------------------------------------------------------------------------
    def list(self) -> list[Profile]:
        """All profiles, `default` first, the rest by name."""
        profiles = self._load().profiles
        named = [profiles[name] for name in sorted(profiles) if name != DEFAULT_PROFILE]
        return [profiles.get(DEFAULT_PROFILE) or default_profile(), *named]

    def get(self, name: str) -> Profile:
        return self._get(self._load(), name)

    @property
    def active_name(self) -> str:
        """The active profile's name; falls back to `default` if it names a missing profile."""
        config = self._load()
        name = config.active_profile
        return name if name is not None and self._exists(config, name) else DEFAULT_PROFILE

    def active(self) -> Profile:
        return self.get(self.active_name)

    def ui_prefs(self) -> UiPrefs:
        return self._load().ui

    # -- writing -------------------------------------------------------------------------------
    def create(self, profile: Profile) -> Profile:
        config = self._load()
        if self._exists(config, profile.name):
            raise ProfileError(f"a profile named '{profile.name}' already exists")
        config.profiles[profile.name] = profile
        self._save(config)
        return profile

    def update(self, name: str, /, **changes: Any) -> Profile:
        """Change fields of a profile (None clears a field back to "not set")."""
        config = self._load()
        if "name" in changes:
            raise ProfileError("use rename() to change a profile's name")
        current = self._get(config, name)
        try:
            updated = Profile.model_validate({**current.model_dump(), **changes})
        except ValidationError as exc:
            raise ProfileError(describe_validation_error(exc)) from None
        config.profiles[name] = updated
        self._save(config)
        return updated

    def rename(self, old: str, new: str) -> Profile:
        config = self._load()
        profile = self._get(config, old)
        try:
            new = validate_profile_name(new)
        except ValueError as exc:
            raise ProfileError(str(exc)) from None
        if DEFAULT_PROFILE in (old, new):
            raise ProfileError("the 'default' profile cannot be renamed, nor can another take its name")
        if self._exists(config, new):
            raise ProfileError(f"a profile named '{new}' already exists")
        del config.profiles[old]
        config.profiles[new] = renamed = profile.model_copy(update={"name": new})
        if config.active_profile == old:
            config.active_profile = new
        rename_credentials(self.config_dir, old, new)
        self._save(config)
        return renamed

    def delete(self, name: str) -> None:
        """Delete a profile and its stored credentials; refuses `default` and the active profile."""
        config = self._load()
        self._get(config, name)
        if name == DEFAULT_PROFILE:
            raise ProfileError("the 'default' profile cannot be deleted")
        if name == config.active_profile:
            raise ProfileError(f"'{name}' is the active profile; switch to another one before deleting it")
        del config.profiles[name]
        rename_credentials(self.config_dir, name, None)
        self._save(config)

    def set_active(self, name: str) -> Profile:
        config = self._load()
        profile = self._get(config, name)
        config.active_profile = name
        self._save(config)
        return profile

    def set_model(self, name: str, surface: Surface | str, model: str | None) -> Profile:
        """Remember the last chosen model of a profile for one surface."""
        field = "model" if Surface.parse(surface) == Surface.SERVERLESS else "on_demand_model"
        return self.update(name, **{field: model})

    def set_ui_prefs(self, **changes: Any) -> UiPrefs:
        config = self._load()
        config.ui = UiPrefs.model_validate({**config.ui.model_dump(), **changes})
        self._save(config)
        return config.ui

    # -- internals -----------------------------------------------------------------------------
    def _load(self) -> TuiConfig:
        return load_tui_config(self.config_dir)

    def _save(self, config: TuiConfig) -> None:
        save_tui_config(self.config_dir, config)

    @staticmethod
    def _exists(config: TuiConfig, name: str) -> bool:
        return name == DEFAULT_PROFILE or name in config.profiles

    @staticmethod
    def _get(config: TuiConfig, name: str) -> Profile:
        if name in config.profiles:
            return config.profiles[name]
        if name == DEFAULT_PROFILE:
            return default_profile()
        raise ProfileError(f"no profile named '{name}'")
