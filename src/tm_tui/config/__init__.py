"""Settings, profiles and credentials for tm-tui (no textual, no tm_tui.api imports).

Typical use by the app shell:

    settings = resolve_settings(LaunchOptions(profile=args.profile, demo=args.demo))
    for row in settings.describe(): ...            # name, masked value, source
    for problem in settings.problems: ...          # ConfigFileError | str, safe to show
    store = ProfileStore(settings.tui_config_dir)  # CRUD, set_active, set_model, ui prefs
    save_login(settings, exchange_body); save_inference_key(settings, key); logout(settings)

The names below are loaded lazily (PEP 562) so that importing a light submodule such as
`tm_tui.config.paths` before the first frame does not pull in pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ConfigFileError": "errors",
    "ProfileError": "errors",
    "ProfileStore": "profile_store",
    "DEFAULT_PROFILE": "profiles",
    "Profile": "profiles",
    "default_profile": "profiles",
    "demo_profile": "profiles",
    "Secret": "secrets",
    "mask": "secrets",
    "Resolved": "settings",
    "ResolvedSettings": "settings",
    "SettingRow": "settings",
    "logout": "settings",
    "resolve_settings": "settings",
    "save_inference_key": "settings",
    "save_login": "settings",
    "UiPrefs": "tui_config",
    "Surface": "values",
    "provider_base_url": "values",
    "provider_for_cloud": "values",
}
__all__ = [
    "ConfigFileError",
    "DEFAULT_PROFILE",
    "Profile",
    "ProfileError",
    "ProfileStore",
    "Resolved",
    "ResolvedSettings",
    "Secret",
    "SettingRow",
    "Surface",
    "UiPrefs",
    "default_profile",
    "demo_profile",
    "logout",
    "mask",
    "provider_base_url",
    "provider_for_cloud",
    "resolve_settings",
    "save_inference_key",
    "save_login",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from tm_tui.config.errors import ConfigFileError, ProfileError
    from tm_tui.config.profile_store import ProfileStore
    from tm_tui.config.profiles import DEFAULT_PROFILE, Profile, default_profile, demo_profile
    from tm_tui.config.secrets import Secret, mask
    from tm_tui.config.settings import (
        Resolved,
        ResolvedSettings,
        SettingRow,
        logout,
        resolve_settings,
        save_inference_key,
        save_login,
    )
    from tm_tui.config.tui_config import UiPrefs
    from tm_tui.config.values import Surface, provider_base_url, provider_for_cloud
