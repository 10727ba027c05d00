"""Settings, profiles and credentials for tm-tui (no textual, no tm_tui.api imports).

Typical use by the app shell:

    settings = resolve_settings(Flags(profile=args.profile, demo=args.demo))
    for row in settings.describe(): ...            # name, masked value, source
    for problem in settings.problems: ...          # ConfigFileError | str, safe to show
    store = ProfileStore(settings.tui_config_dir)  # CRUD, set_active, set_model, ui prefs
    save_login(settings, exchange_body); save_inference_key(settings, key); logout(settings)
"""

from tm_tui.config.errors import ConfigFileError, ProfileError
from tm_tui.config.profile_store import ProfileStore
from tm_tui.config.profiles import DEFAULT_PROFILE, Profile, default_profile, demo_profile
from tm_tui.config.secrets import Secret, mask
from tm_tui.config.settings import (
    Flags,
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

__all__ = [
    "DEFAULT_PROFILE",
    "ConfigFileError",
    "Flags",
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
