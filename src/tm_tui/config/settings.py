"""Resolve every setting, with where it came from, and save what the app learns (logins, keys).

Precedence per value, highest first (DESIGN.md §2):

    flag  >  TENSORMESH_* env (blank = unset)  >  the active tm-tui profile / credentials.json
          >  the tm CLI's config.toml / auth.json (only for profiles with uses_tm_cli_files)
          >  built-in default

A value that does not parse (bad URL, non-UUID user id, unknown provider, missing CA file...) is
reported in `problems` and the next layer is used; so is a broken file. `resolve_settings` never
raises for bad configuration.

`--demo` (`LaunchOptions.demo`) with `profile=demo_profile(...)` ignores env vars and every file, so the demo
is hermetic; `save_login`/`save_inference_key`/`logout` then only change the in-memory profile.

Public API:
    Resolved, SettingRow, ResolvedSettings
    resolve_settings(options, env=os.environ, *, profile=None, config_dir=None) -> ResolvedSettings
    save_login(settings, tokens) -> Path | None
    save_inference_key(settings, key) -> Path | None
    logout(settings) -> list[Path]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tm_tui.config import paths
from tm_tui.config.errors import ConfigFileError
from tm_tui.config.profiles import DEFAULT_PROFILE, Profile, default_profile
from tm_tui.config.secrets import Secret, mask
from tm_tui.config.tm_cli_files import (
    TmAuth,
    TmCliConfig,
    delete_tm_auth,
    read_tm_auth,
    read_tm_config,
    validate_tokens,
    write_tm_auth,
    write_tm_overrides,
)
from tm_tui.config.tui_config import (
    TuiConfig,
    credentials_path,
    load_credentials,
    load_tui_config,
    tui_config_path,
    update_credentials,
)
from tm_tui.config.values import (
    DEFAULT_PROVIDER,
    PROVIDER_BASES,
    Surface,
    is_truthy,
    parse_base_url,
    parse_ca_bundle,
    parse_non_negative_int,
    parse_positive_float,
    parse_provider,
    parse_str,
    parse_uuid,
)
from tm_tui.state import LaunchOptions

# Source labels, as shown next to each value.
FLAG = "flag"
ENV = "env"
TUI = "tm-tui config"
DEMO_PROFILE = "demo profile (memory)"  # the ephemeral profile of --demo: no file behind it
TM_CONFIG = "tm config.toml"
TM_AUTH = "tm auth.json"
DEFAULT = "default"

DEFAULT_CONTROL_PLANE_BASE_URL = "https://api.tensormesh.ai"
DEFAULT_SERVERLESS_BASE_URL = "https://serverless.tensormesh.ai"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_STREAM_IDLE_TIMEOUT_S = 300.0
DEFAULT_MAX_RETRIES = 0

ENV_CONTROL_PLANE_TOKEN = "TENSORMESH_CONTROL_PLANE_TOKEN"
ENV_CONTROL_PLANE_BASE_URL = "TENSORMESH_CONTROL_PLANE_BASE_URL"
ENV_INFERENCE_API_KEY = "TENSORMESH_INFERENCE_API_KEY"
ENV_SERVERLESS_BASE_URL = "TENSORMESH_SERVERLESS_BASE_URL"
ENV_ON_DEMAND_BASE_URL = "TENSORMESH_ON_DEMAND_BASE_URL"
ENV_ON_DEMAND_USER_ID = "TENSORMESH_ON_DEMAND_USER_ID"
ENV_TIMEOUT_SECONDS = "TENSORMESH_TIMEOUT_SECONDS"
ENV_MAX_RETRIES = "TENSORMESH_MAX_RETRIES"
ENV_CA_BUNDLE = "TENSORMESH_CA_BUNDLE"
ENV_ENABLE_ON_DEMAND = "TENSORMESH_ENABLE_ON_DEMAND"
ENV_ALLOW_INSECURE_HTTP = "TM_TUI_ALLOW_INSECURE_HTTP"


@dataclass(frozen=True)
class Resolved[T]:
    """A value and where it came from: `source` is one of the labels above, `origin` says more
    (the env var, the file path and key, the flag)."""

    value: T
    source: str
    origin: str = ""

    @property
    def label(self) -> str:
        return f"{self.source}: {self.origin}" if self.origin else self.source


class SettingRow(NamedTuple):
    """One display row of `ResolvedSettings.describe()`; `value` is already masked if secret."""

    name: str
    value: str
    source: str


@dataclass
class ResolvedSettings:
    profile_name: Resolved[str]
    profile: Profile
    control_plane_base_url: Resolved[str]
    serverless_base_url: Resolved[str]
    gateway_provider: Resolved[str]
    on_demand_base_url: Resolved[str]
    inference_api_key: Resolved[Secret | None]
    control_plane_token: Resolved[Secret | None]
    refresh_token: Resolved[Secret | None]
    on_demand_user_id: Resolved[str | None]
    surface: Resolved[Surface]
    model: Resolved[str | None]  # last chosen model for `surface`
    timeout: Resolved[float]
    stream_idle_timeout: Resolved[float]
    max_retries: Resolved[int]
    ca_bundle: Resolved[str | None]
    on_demand_enabled: Resolved[bool]
    allow_insecure_http: Resolved[bool]
    demo: bool
    tui_config_dir: Path
    tm_config_path: Path
    tm_auth_path: Path
    problems: list[ConfigFileError | str] = field(default_factory=list)

    def describe(self) -> list[SettingRow]:
        """Rows safe to display: secrets masked, the refresh token left out."""
        rows = [
            ("profile", self.profile_name),
            ("surface", self.surface),
            ("model", self.model),
            ("control plane URL", self.control_plane_base_url),
            ("serverless URL", self.serverless_base_url),
            ("on-demand provider", self.gateway_provider),
            ("on-demand URL", self.on_demand_base_url),
            ("on-demand user id", self.on_demand_user_id),
            ("inference API key", self.inference_api_key),
            ("control-plane token", self.control_plane_token),
            ("timeout (s)", self.timeout),
            ("stream idle timeout (s)", self.stream_idle_timeout),
            ("max retries", self.max_retries),
            ("CA bundle", self.ca_bundle),
            ("on-demand features", self.on_demand_enabled),
            ("plain http to remote hosts", self.allow_insecure_http),
        ]
        return [SettingRow(name, _display(resolved.value), resolved.label) for name, resolved in rows]


def _display(value: object) -> str:
    if value is None or isinstance(value, Secret):
        return mask(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


# A candidate value: (raw value or None, source label, origin).
type _Candidate = tuple[object, str, str]


class _Picker:
    """Walks candidates in precedence order; bad values become problems and are skipped."""

    def __init__(self) -> None:
        self.problems: list[ConfigFileError | str] = []

    def pick[T](
        self,
        name: str,
        parse: Callable[[object], T],
        candidates: Iterable[_Candidate],
        default: Resolved[Any],
    ) -> Resolved[Any]:
        for raw, source, origin in candidates:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                return Resolved(parse(raw), source, origin)
            except ValueError as exc:
                where = f"{source}: {origin}" if origin else source
                self.problems.append(f"Ignored {name} from {where}: {exc}")
        return default


def resolve_settings(
    flags: LaunchOptions,
    env: Mapping[str, str] | None = None,
    *,
    profile: Profile | None = None,
    config_dir: Path | None = None,
) -> ResolvedSettings:
    """Resolve all settings. `profile` (e.g. `demo_profile(...)`) replaces the stored active profile;
    `config_dir` defaults to tm-tui's config dir for `env`."""
    env = os.environ if env is None else env
    config_dir = config_dir if config_dir is not None else paths.tui_config_dir(env)
    picker = _Picker()
    tui = _load_or_problem(picker, lambda: load_tui_config(config_dir), TuiConfig())
    profile_name, profile = _choose_profile(picker, flags, tui, profile)
    layers = _Layers(flags, env, profile, config_dir, picker)

    provider = picker.pick(
        "gateway_provider",
        parse_provider,
        layers.of("provider", profile_field="gateway_provider", tm_key="gateway_provider", env_var=None),
        Resolved(DEFAULT_PROVIDER, DEFAULT),
    )
    surface = picker.pick(
        "surface", Surface.parse, layers.of("surface", env_var=None), Resolved(Surface.SERVERLESS, DEFAULT)
    )
    serverless = surface.value == Surface.SERVERLESS
    model_field = "model" if serverless else "on_demand_model"
    tm_model_key = None if serverless else "gateway_model_id"
    auth = layers.auth()

    settings = ResolvedSettings(
        profile_name=profile_name,
        profile=profile,
        control_plane_base_url=picker.pick(
            "control_plane_base_url",
            parse_base_url,
            layers.of(
                "control_plane_url",
                env_var=ENV_CONTROL_PLANE_BASE_URL,
                profile_field="control_plane_base_url",
                tm_key="controlplane_base",
            ),
            Resolved(DEFAULT_CONTROL_PLANE_BASE_URL, DEFAULT),
        ),
        serverless_base_url=picker.pick(
            "serverless_base_url",
            parse_base_url,
            layers.of("serverless_url", env_var=ENV_SERVERLESS_BASE_URL, profile_field="serverless_base_url"),
            Resolved(DEFAULT_SERVERLESS_BASE_URL, DEFAULT),
        ),
        gateway_provider=provider,
        on_demand_base_url=picker.pick(
            "on_demand_base_url",
            parse_base_url,
            [
                *layers.of(
                    "on_demand_url", env_var=ENV_ON_DEMAND_BASE_URL, profile_field="on_demand_base_url"
                ),
                layers.host_for(provider.value),
            ],
            Resolved(
                PROVIDER_BASES[provider.value], provider.source, f"host table for provider {provider.value}"
            ),
        ),
        inference_api_key=picker.pick(
            "inference_api_key",
            _parse_secret,
            layers.of(
                None,
                env_var=ENV_INFERENCE_API_KEY,
                tm_key="gateway_api_key",
                profile_field=None,
                stored_key="inference_api_key",
            ),
            Resolved(None, DEFAULT),
        ),
        control_plane_token=auth[0],
        refresh_token=auth[1],
        on_demand_user_id=picker.pick(
            "on_demand_user_id",
            parse_uuid,
            layers.of(
                "user_id",
                env_var=ENV_ON_DEMAND_USER_ID,
                profile_field="on_demand_user_id",
                tm_key="gateway_user_id",
            ),
            Resolved(None, DEFAULT),
        ),
        surface=surface,
        model=picker.pick(
            "model",
            parse_str,
            layers.of("model", env_var=None, profile_field=model_field, tm_key=tm_model_key),
            Resolved(None, DEFAULT),
        ),
        timeout=picker.pick(
            "timeout",
            parse_positive_float,
            layers.of(
                "timeout", env_var=ENV_TIMEOUT_SECONDS, profile_field="timeout_s", tm_key="timeout_seconds"
            ),
            Resolved(DEFAULT_TIMEOUT_S, DEFAULT),
        ),
        stream_idle_timeout=picker.pick(
            "stream_idle_timeout",
            parse_positive_float,
            layers.of(None, env_var=None, profile_field="stream_idle_timeout_s"),
            Resolved(DEFAULT_STREAM_IDLE_TIMEOUT_S, DEFAULT),
        ),
        max_retries=picker.pick(
            "max_retries",
            parse_non_negative_int,
            layers.of(None, env_var=ENV_MAX_RETRIES, profile_field="max_retries", tm_key="max_retries"),
            Resolved(DEFAULT_MAX_RETRIES, DEFAULT),
        ),
        ca_bundle=picker.pick(
            "ca_bundle",
            parse_ca_bundle,
            layers.of("ca_bundle", env_var=ENV_CA_BUNDLE, tm_key="ca_bundle"),
            Resolved(None, DEFAULT),
        ),
        on_demand_enabled=layers.on_demand_enabled(),
        allow_insecure_http=layers.allow_insecure_http(),
        demo=flags.demo,
        tui_config_dir=config_dir,
        tm_config_path=layers.tm_config_path,
        tm_auth_path=layers.tm_auth_path,
    )
    settings.problems = picker.problems
    return settings


def _parse_secret(raw: object) -> Secret:
    if isinstance(raw, Secret):
        return raw
    return Secret(parse_str(raw))


def _load_or_problem[T](picker: _Picker, load: Callable[[], T], fallback: T) -> T:
    try:
        return load()
    except ConfigFileError as exc:
        picker.problems.append(exc)
        return fallback


def _choose_profile(
    picker: _Picker, flags: LaunchOptions, tui: TuiConfig, given: Profile | None
) -> tuple[Resolved[str], Profile]:
    if given is not None:
        chosen = (
            Resolved(given.name, FLAG, "--demo") if flags.demo else Resolved(given.name, TUI, "in memory")
        )
        return chosen, given
    if flags.demo:
        picker.problems.append("Demo mode needs the emulator's demo profile; using the stored profiles")

    stored_default = tui.profiles.get(DEFAULT_PROFILE) or default_profile()
    for name, source in ((flags.profile, FLAG), (tui.active_profile, TUI)):
        name = (name or "").strip()
        if not name:
            continue
        found = stored_default if name == DEFAULT_PROFILE else tui.profiles.get(name)
        if found is not None:
            return Resolved(found.name, source), found
        picker.problems.append(f"Unknown profile {name!r} ({source}); using another")
    return Resolved(DEFAULT_PROFILE, DEFAULT), stored_default


class _Layers:
    """The per-layer raw values for the chosen profile, produced in precedence order."""

    def __init__(
        self,
        flags: LaunchOptions,
        env: Mapping[str, str],
        profile: Profile,
        config_dir: Path,
        picker: _Picker,
    ):
        self.flags = flags
        # Demo mode is hermetic: no env vars, no files.
        self.hermetic = flags.demo and profile.ephemeral
        self.env: Mapping[str, str] = {} if self.hermetic else env
        self.profile = profile
        self.tm_config_path = paths.tm_cli_config_path(env)
        self.tm_auth_path = paths.tm_cli_auth_path(env)
        # (source, origin) of the profile's own fields
        self.profile_source, self.profile_origin = (
            (DEMO_PROFILE, "")
            if profile.ephemeral
            else (TUI, f"{tui_config_path(config_dir)} [profiles.{profile.name}]")
        )
        self.credentials_origin = str(credentials_path(config_dir))
        self.stored: dict[str, Any] = {}
        if not profile.ephemeral:
            no_credentials: dict[str, dict[str, Any]] = {}
            all_stored = _load_or_problem(picker, lambda: load_credentials(config_dir), no_credentials)
            self.stored = all_stored.get(profile.name, {})
        shares_tm = profile.uses_tm_cli_files and not self.hermetic
        self.tm_config = TmCliConfig(path=self.tm_config_path)
        self.tm_auth: TmAuth | None = None
        if shares_tm:
            self.tm_config = _load_or_problem(
                picker, lambda: read_tm_config(self.tm_config_path), self.tm_config
            )
            picker.problems.extend(self.tm_config.problems)
            self.tm_auth = _load_or_problem(picker, lambda: read_tm_auth(self.tm_auth_path), None)

    def of(
        self,
        flag: str | None,
        *,
        env_var: str | None,
        profile_field: str | None | bool = True,
        tm_key: str | None = None,
        stored_key: str | None = None,
    ) -> Iterator[_Candidate]:
        """Candidates for one setting. `flag` is the `LaunchOptions` field (named after its
        command-line flag); `profile_field=True` means "the profile field of the same name"."""
        if flag is not None:
            yield getattr(self.flags, flag), FLAG, f"--{flag.replace('_', '-')}"
        if env_var is not None:
            yield self.env.get(env_var), ENV, env_var
        field_name = flag if profile_field is True else profile_field
        if isinstance(field_name, str):
            yield getattr(self.profile, field_name), self.profile_source, self.profile_origin
        if stored_key is not None:
            yield self.stored.get(stored_key), TUI, self.credentials_origin
            yield self.profile.inline_secret(stored_key), self.profile_source, self.profile_origin
        if tm_key is not None:
            section = self.tm_config.sections.get(tm_key)
            where = f"{self.tm_config_path} [{section}]" if section else str(self.tm_config_path)
            yield getattr(self.tm_config, tm_key), TM_CONFIG, where

    def host_for(self, provider: str) -> _Candidate:
        return (
            self.profile.on_demand_hosts.get(provider),
            self.profile_source,
            f"{self.profile_origin} on_demand_hosts.{provider}".lstrip(),
        )

    def auth(self) -> tuple[Resolved[Secret | None], Resolved[Secret | None]]:
        """(control-plane token, refresh token): the refresh token comes from the same record."""
        raw = self.env.get(ENV_CONTROL_PLANE_TOKEN)
        if raw and raw.strip():
            return Resolved(Secret(raw.strip()), ENV, ENV_CONTROL_PLANE_TOKEN), Resolved(None, DEFAULT)
        stored = self.stored.get("auth") or {}
        token, refresh = stored.get("access_token"), stored.get("refresh_token")
        if isinstance(token, str) and token.strip():
            refresh_secret = Secret(refresh) if isinstance(refresh, str) and refresh else None
            return (
                Resolved(Secret(token.strip()), TUI, self.credentials_origin),
                Resolved(refresh_secret, TUI, self.credentials_origin),
            )
        inline = self.profile.inline_secret("control_plane_token")
        if inline:
            return (
                Resolved(inline, self.profile_source, self.profile_origin),
                Resolved(
                    self.profile.inline_secret("refresh_token"), self.profile_source, self.profile_origin
                ),
            )
        if self.tm_auth is not None:
            origin = str(self.tm_auth.path)
            return Resolved(self.tm_auth.access_token, TM_AUTH, origin), Resolved(
                self.tm_auth.refresh_token, TM_AUTH, origin
            )
        return Resolved(None, DEFAULT), Resolved(None, DEFAULT)

    def allow_insecure_http(self) -> Resolved[bool]:
        if self.flags.allow_insecure_http:
            return Resolved(True, FLAG, "--allow-insecure-http")
        if is_truthy(self.env.get(ENV_ALLOW_INSECURE_HTTP)):
            return Resolved(True, ENV, ENV_ALLOW_INSECURE_HTTP)
        return Resolved(False, DEFAULT)

    def on_demand_enabled(self) -> Resolved[bool]:
        if self.hermetic:
            return Resolved(True, FLAG, "--demo")
        if is_truthy(self.env.get(ENV_ENABLE_ON_DEMAND)):
            return Resolved(True, ENV, ENV_ENABLE_ON_DEMAND)
        return Resolved(False, DEFAULT)


# -- saving -----------------------------------------------------------------------------------------
def save_login(settings: ResolvedSettings, tokens: Mapping[str, Any]) -> Path | None:
    """Store a login (the verbatim `/auth/cli/exchange` or `/refresh` body, or `{"access_token": t}`
    for a pasted token). Profiles sharing the tm CLI's files write `auth.json`; others their entry in
    credentials.json; the demo profile only itself. Returns the file written (None: in memory).
    Raises `ConfigFileError` (e.g. an unparseable auth.json, which is never overwritten)."""
    profile = settings.profile
    if profile.ephemeral:
        data = validate_tokens(tokens, Path("<demo profile>"))
        _set_inline(
            profile, control_plane_token=data["access_token"], refresh_token=data.get("refresh_token")
        )
        return None
    if profile.uses_tm_cli_files:
        write_tm_auth(settings.tm_auth_path, tokens)
        return settings.tm_auth_path
    path = credentials_path(settings.tui_config_dir)
    update_credentials(settings.tui_config_dir, profile.name, {"auth": validate_tokens(tokens, path)})
    return path


def newer_shared_login(settings: ResolvedSettings, token_in_use: str | None) -> TmAuth | None:
    """auth.json when it now holds another access token than `token_in_use`: the `tm` CLI refreshed
    meanwhile. Adopting it instead of refreshing again keeps the CLI's token (and a rotated refresh
    token) from being lost. None when the token does not come from auth.json or nothing changed."""
    if settings.control_plane_token.source != TM_AUTH:
        return None
    try:
        auth = read_tm_auth(settings.tm_auth_path)
    except ConfigFileError:
        return None
    if auth is None or auth.access_token.reveal() == token_in_use:
        return None
    return auth


def logout(settings: ResolvedSettings) -> list[Path]:
    """Forget the control-plane login of the settings' profile (no server call, like `tm auth
    logout`). Removes auth.json for tm-sharing profiles — even one that did not parse — and the
    profile's stored login in credentials.json. Returns the files changed."""
    profile = settings.profile
    if profile.ephemeral:
        _set_inline(profile, control_plane_token=None, refresh_token=None)
        return []
    changed: list[Path] = []
    if profile.uses_tm_cli_files and delete_tm_auth(settings.tm_auth_path):
        changed.append(settings.tm_auth_path)
    if "auth" in load_credentials(settings.tui_config_dir).get(profile.name, {}):
        update_credentials(settings.tui_config_dir, profile.name, {"auth": None})
        changed.append(credentials_path(settings.tui_config_dir))
    return changed


def save_inference_key(settings: ResolvedSettings, key: str | None) -> Path | None:
    """Store (or with None, remove) the profile's inference API key. Returns the file written.

    For tm-sharing profiles the key goes to `[overrides].gateway_api_key` of the tm CLI's
    config.toml so both tools use it — unless that file exists and does not parse, in which case it
    is left alone and the key goes to credentials.json instead. Either way only one copy is kept.
    """
    key = key.strip() if key is not None else None
    key = key or None
    profile = settings.profile
    if profile.ephemeral:
        _set_inline(profile, inference_api_key=key)
        return None
    if profile.uses_tm_cli_files:
        try:
            write_tm_overrides(settings.tm_config_path, {"gateway_api_key": key})
        except ConfigFileError:
            pass  # already reported as a problem when settings were resolved
        else:
            if "inference_api_key" in load_credentials(settings.tui_config_dir).get(profile.name, {}):
                update_credentials(settings.tui_config_dir, profile.name, {"inference_api_key": None})
            return settings.tm_config_path
    update_credentials(settings.tui_config_dir, profile.name, {"inference_api_key": key})
    return credentials_path(settings.tui_config_dir)


def _set_inline(profile: Profile, **changes: str | None) -> None:
    creds = dict(profile.inline_credentials or {})
    for key, value in changes.items():
        if value:
            creds[key] = value
        else:
            creds.pop(key, None)
    profile.inline_credentials = creds
