"""The session: resolved settings plus the API clients built from them. No Textual here.

One `Session` lives for the whole run. It owns one shared `httpx.AsyncClient` and, built on it, a
client per surface — or `None` with a reason the UI can show when a surface is not configured.
`switch_profile()` / `reload()` rebuild every client in place (the old HTTP client is closed) and
bump `generation`, which screens watch to reload their data.

This module is imported before the first frame (for `AppContext`/`LoginState`), so the heavy layers
(httpx, pydantic, the emulator) are imported inside the functions that need them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.inference import InferenceClient
    from tm_tui.cli import LaunchOptions
    from tm_tui.config import Flags, Profile, ResolvedSettings, Secret

log = logging.getLogger(__name__)

SURFACE_NAMES = {"serverless": "serverless", "on_demand": "on-demand"}
# In demo mode a started browser login approves itself after this long, so the flow can be tried.
DEMO_AUTO_APPROVE_S = 3.0
# In demo mode a running deployment writes a log line this often, so following its logs shows life.
DEMO_LIVE_LOGS_S = 3.0


class LoginState(StrEnum):
    CHECKING = "checking…"
    LOGGED_IN = "logged in"
    NOT_LOGGED_IN = "not logged in"
    EXPIRED = "expired"
    UNVERIFIED = "unverified"  # a token is set but the control plane could not be asked


@dataclass(frozen=True)
class AppContext:
    """What the context bar shows; the app rebuilds it from the session on `ContextChanged`."""

    profile: str
    surface: str = "serverless"  # "serverless" | "on_demand"
    model: str | None = None
    login: LoginState = LoginState.CHECKING
    display_name: str | None = None  # the control-plane user, when known
    demo: bool = False
    generation: int = 0  # Session.generation: 0 until the session exists


def normalize_surface(surface: str) -> str:
    """`on-demand`, `on_demand`, `ondemand` (any case) → `on_demand`; `serverless` stays."""
    value = surface.strip().lower().replace("-", "_")
    value = "on_demand" if value == "ondemand" else value
    if value not in SURFACE_NAMES:
        raise ValueError(f"unknown surface {surface!r}: expected serverless or on-demand")
    return value


def flags_from(options: LaunchOptions, *, profile: str | None = None) -> Flags:
    """Command-line options as config `Flags`; `profile` set = a runtime switch, where only the
    transport flags still apply (URL and model flags were meant for the launch profile)."""
    from tm_tui.config import Flags

    if profile is not None:
        return Flags(profile=profile, timeout=options.timeout, ca_bundle=options.ca_bundle)
    return Flags(
        profile=options.profile,
        serverless_base_url=options.serverless_url,
        on_demand_base_url=options.on_demand_url,
        control_plane_base_url=options.control_plane_url,
        on_demand_user_id=options.user_id,
        surface=options.surface,
        model=options.model,
        gateway_provider=options.provider,
        timeout=options.timeout,
        ca_bundle=options.ca_bundle,
        demo=options.demo,
    )


def start_demo_emulator(resources: ExitStack) -> Profile:
    """Start the emulator (stopped when `resources` closes) and return a profile pointing at it."""
    from tm_tui.config import demo_profile
    from tm_tui.emulator.server import run_emulator
    from tm_tui.emulator.state import EmulatorState

    emulator = resources.enter_context(
        run_emulator(
            EmulatorState(auto_approve_login_after_s=DEMO_AUTO_APPROVE_S, live_logs_every_s=DEMO_LIVE_LOGS_S)
        )
    )
    urls_and_credentials = emulator.credentials()
    return demo_profile(urls_and_credentials, urls_and_credentials)


def resolve_launch_settings(
    options: LaunchOptions, env: Mapping[str, str], resources: ExitStack
) -> ResolvedSettings:
    """Blocking (file reads, demo emulator start): run it off the UI loop."""
    from tm_tui.config import resolve_settings

    profile = start_demo_emulator(resources) if options.demo else None
    return resolve_settings(flags_from(options), env, profile=profile)


class Session:
    def __init__(
        self,
        settings: ResolvedSettings,
        *,
        options: LaunchOptions | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        from tm_tui.cli import LaunchOptions

        self.options = options or LaunchOptions(demo=settings.demo)
        self.env = env
        self._flags = flags_from(self.options)
        # Kept so a demo run can switch to a stored profile and back again.
        self._demo_profile = settings.profile if settings.profile.ephemeral else None
        self.generation = 0
        self.http: httpx.AsyncClient | None = None
        self._install(settings)

    # -- what the UI reads -------------------------------------------------------------------------
    @property
    def profile_name(self) -> str:
        return self.settings.profile_name.value

    @property
    def demo(self) -> bool:
        return self.settings.profile.ephemeral

    @property
    def surface(self) -> str:
        return self.settings.surface.value

    def model(self, surface: str) -> str | None:
        """The chosen model of `surface`: the resolved setting for the active surface (what Settings
        shows, with its origin), the profile's choice for the other."""
        surface = normalize_surface(surface)
        if surface == self.surface:
            return self.settings.model.value
        return self.settings.profile.model_for(surface)  # type: ignore[arg-type]

    def inference(self, surface: str | None = None) -> InferenceClient | None:
        """The client of `surface` (default: the active one), None when it is not configured."""
        surface = normalize_surface(surface or self.surface)
        return self.serverless if surface == "serverless" else self.on_demand

    def inference_reason(self, surface: str | None = None) -> str | None:
        surface = normalize_surface(surface or self.surface)
        return self.serverless_reason if surface == "serverless" else self.on_demand_reason

    def context(self) -> AppContext:
        return AppContext(
            profile=self.profile_name,
            surface=self.surface,
            model=self.model(self.surface),
            login=self.login_state,
            display_name=self.display_name,
            demo=self.demo,
            generation=self.generation,
        )

    # -- building clients --------------------------------------------------------------------------
    def _install(self, settings: ResolvedSettings) -> httpx.AsyncClient | None:
        """Build every client from `settings`; returns the previous HTTP client for closing."""
        from tm_tui.api.errors import ConfigError
        from tm_tui.api.transport import make_http_client

        previous = self.http
        self.settings = settings
        self.problems: list[str] = [str(problem) for problem in settings.problems]
        try:
            self.http = make_http_client(settings.timeout.value, settings.ca_bundle.value)
        except ConfigError as error:  # e.g. a CA bundle that exists but is not PEM
            self.problems.append(f"{error} Using the system trust store.")
            self.http = make_http_client(settings.timeout.value)
        self.serverless, self.serverless_reason = self._build_inference("serverless")
        self.on_demand, self.on_demand_reason = self._build_inference("on_demand")
        self.control_plane, self.control_plane_reason = self._build_control_plane()
        self._refresh_token = settings.refresh_token.value
        self.login_state = LoginState.CHECKING if self.control_plane else LoginState.NOT_LOGGED_IN
        self.display_name: str | None = None
        self.generation += 1
        return previous

    def _build_inference(self, surface: str) -> tuple[InferenceClient | None, str | None]:
        from tm_tui.api.errors import ConfigError
        from tm_tui.api.inference import make_inference_client

        s = self.settings
        key = s.inference_api_key.value
        if surface == "on_demand":
            if not s.on_demand_user_id.value:
                return None, "No on-demand user id: set TENSORMESH_ON_DEMAND_USER_ID, --user-id or a profile."
            if not key:
                return None, "No inference API key: set one in Account or TENSORMESH_INFERENCE_API_KEY."
        base = s.serverless_base_url.value if surface == "serverless" else s.on_demand_base_url.value
        try:
            client = make_inference_client(
                self.http,  # type: ignore[arg-type]
                base,
                key.reveal() if key else None,
                surface,  # type: ignore[arg-type]
                s.on_demand_user_id.value if surface == "on_demand" else None,
                s.timeout.value,
                stream_idle_timeout=s.stream_idle_timeout.value,
                max_retries=s.max_retries.value,
            )
        except ConfigError as error:
            return None, str(error)
        return client, None

    def _build_control_plane(self) -> tuple[ControlPlaneClient | None, str | None]:
        from tm_tui.api.control_plane import make_control_plane_client

        s = self.settings
        token = s.control_plane_token.value
        if not token:
            return None, "Not logged in to the control plane: log in from Account or with `tm auth login`."
        client = make_control_plane_client(
            self.http,  # type: ignore[arg-type]
            s.control_plane_base_url.value,
            token.reveal(),
            s.timeout.value,
            max_retries=s.max_retries.value,
            on_unauthorized=self._refresh_control_plane,
        )
        return client, None

    async def _replace(self, settings: ResolvedSettings) -> None:
        previous = self._install(settings)
        if previous is not None:
            await previous.aclose()

    # -- control-plane login -----------------------------------------------------------------------
    async def _refresh_control_plane(self) -> str | None:
        """Called once on a 401: trade the refresh token for a new access token and store it."""
        from tm_tui.api.errors import TmError
        from tm_tui.api.login import refresh_tokens
        from tm_tui.config import ConfigFileError, save_login

        if not self._refresh_token:
            self.login_state = LoginState.EXPIRED
            return None
        try:
            tokens = await refresh_tokens(
                self.http,  # type: ignore[arg-type]
                self.settings.control_plane_base_url.value,
                self._refresh_token.reveal(),
                timeout=self.settings.timeout.value,
            )
        except TmError as error:
            log.info("token refresh failed: %s", type(error).__name__)
            self.login_state = LoginState.EXPIRED
            return None
        try:
            save_login(self.settings, tokens)
        except ConfigFileError as error:  # keep the fresh token for this run anyway
            self.problems.append(str(error))
        self._remember_refresh_token(tokens)
        self.login_state = LoginState.LOGGED_IN
        return tokens["access_token"]

    def _remember_refresh_token(self, tokens: Mapping[str, object]) -> None:
        from tm_tui.config import Secret

        refresh = tokens.get("refresh_token")
        self._refresh_token = Secret(refresh) if isinstance(refresh, str) and refresh else None

    async def check_login(self) -> None:
        """Ask `/auth/profile` who is logged in; sets `login_state` and `display_name`."""
        from tm_tui.api.errors import AuthError, TmError

        if self.control_plane is None:
            self.login_state = LoginState.NOT_LOGGED_IN
            return
        try:
            user = await self.control_plane.profile()
        except AuthError:
            self.login_state = LoginState.EXPIRED
            return
        except TmError:
            self.login_state = LoginState.UNVERIFIED
            return
        self.login_state = LoginState.LOGGED_IN
        full_name = " ".join(part for part in (user.first_name, user.last_name) if part)
        self.display_name = user.display_name or full_name or user.user_email

    async def probe_control_plane(self) -> int:
        """Reachability without a login: any HTTP answer from `/auth/profile` counts (401 expected).
        Raises `NetworkError`/`Timeout` when the host cannot be reached."""
        from tm_tui.api.transport import Transport

        transport = Transport(
            self.http,  # type: ignore[arg-type]
            self.settings.control_plane_base_url.value,
            timeout=self.settings.timeout.value,
        )
        response, _ = await transport.send("GET", "/auth/profile")
        return response.status_code

    # -- changing the session ----------------------------------------------------------------------
    async def switch_profile(self, name: str) -> None:
        """Make `name` the active profile (persisted) and rebuild every client for it."""
        from tm_tui.config import Flags, ProfileStore, resolve_settings

        if self._demo_profile is not None and name == self._demo_profile.name:
            settings = resolve_settings(Flags(demo=True), self.env, profile=self._demo_profile)
            self._flags = flags_from(self.options)
        else:
            ProfileStore(self.settings.tui_config_dir).set_active(name)  # ProfileError if unknown
            self._flags = flags_from(self.options, profile=name)
            settings = resolve_settings(self._flags, self.env, config_dir=self.settings.tui_config_dir)
        await self._replace(settings)

    async def reload(self) -> None:
        """Re-read settings and credentials (e.g. after a login or a key change) and rebuild."""
        await self._replace(self._resolve())

    def _resolve(self) -> ResolvedSettings:
        from tm_tui.config import resolve_settings

        profile = self.settings.profile if self.settings.profile.ephemeral else None
        return resolve_settings(
            self._flags, self.env, profile=profile, config_dir=self.settings.tui_config_dir
        )

    def set_surface(self, surface: str) -> None:
        """Make `surface` the active one, remembered in the profile."""
        self._choose(surface=normalize_surface(surface))

    def update_profile(self, **changes: object) -> None:
        """Change fields of the active profile (stored; in memory for the demo); `reload()` applies them."""
        self._persist(**changes)

    @property
    def refresh_token(self) -> Secret | None:
        """The current refresh token: a refresh on a 401 may have replaced the resolved one."""
        return self._refresh_token

    def set_model(self, surface: str, model: str | None) -> None:
        """Remember the chosen model of a surface in the profile."""
        surface = normalize_surface(surface)
        self._choose(**{"model" if surface == "serverless" else "on_demand_model": model})

    def _choose(self, **changes: object) -> None:
        """Store a choice of surface or model in the profile, then re-resolve both from it: the
        resolved settings stay the one place every display reads them from. A choice made in the
        app outranks the launch flags from now on (a later `reload()` keeps it)."""
        from dataclasses import replace

        self._persist(**changes)
        self._flags = replace(self._flags, surface=None, model=None)
        fresh = self._resolve()
        self.settings.surface, self.settings.model = fresh.surface, fresh.model

    def _persist(self, **changes: object) -> None:
        profile = self.settings.profile
        if profile.ephemeral:  # the demo profile lives in memory only
            for field, value in changes.items():
                setattr(profile, field, value)
            return
        from tm_tui.config import ProfileStore

        self.settings.profile = ProfileStore(self.settings.tui_config_dir).update(profile.name, **changes)

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()
