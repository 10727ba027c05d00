"""The session: resolved settings plus the API clients built from them. No Textual here.

One `Session` lives for the whole run. It owns one shared `httpx.AsyncClient` and, built on it, a
client per surface — or `None` with a reason the UI can show when a surface is not configured.
A `SessionChange` (profile switch, surface or model choice, credentials saved, reload) is made by
`change()`: its file work in a thread, then, where needed, every client is rebuilt in place (the old
HTTP client is closed) and `generation` bumped, which screens watch to reload their data. In the app
only `TmApp.change_session` calls it.

Imported before the first frame (by the app), so the heavy layers (httpx, pydantic, the emulator)
are imported inside the functions that need them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tm_tui.config.secrets import remember_in_use
from tm_tui.state import AppContext, LaunchOptions, LoginState
from tm_tui.surface import Surface

if TYPE_CHECKING:
    import httpx

    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.inference import InferenceClient
    from tm_tui.config import Profile, ResolvedSettings, Secret

log = logging.getLogger(__name__)

# In demo mode a started browser login approves itself after this long, so the flow can be tried.
DEMO_AUTO_APPROVE_S = 3.0
# In demo mode a running deployment writes a log line this often, so following its logs shows life.
DEMO_LIVE_LOGS_S = 3.0


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
    return resolve_settings(options, env, profile=profile)


@dataclass(frozen=True)
class SessionChange[T]:
    """One change of the session, as a screen asks for it (`TmApp.change_session(...)`); fields left
    at their defaults change nothing. Applied in this order: profile switch (alone), profile fields,
    `save`, surface and model; then the settings are re-read."""

    profile: str | None = None  # switch to this profile: every client is rebuilt
    surface: Surface | str | None = None  # make it the active surface (remembered in the profile)
    model: str | None = None  # the model of `surface`, or of the active surface
    profile_fields: Mapping[str, object] = field(default_factory=dict)  # stored in the active profile
    # File work before the settings are re-read, e.g. `partial(save_login, settings, tokens)`;
    # what it returns is returned to the requester. Implies a rebuild.
    save: Callable[[], T] | None = None
    reload: bool = False  # re-read settings and credentials and rebuild every client


@dataclass(frozen=True)
class PreparedChange[T]:
    """What `Session.prepare` worked out in a thread, for `Session.apply` on the loop."""

    flags: LaunchOptions
    settings: ResolvedSettings | None  # None: nothing to re-read
    rebuild: bool = False
    result: T | None = None  # what `SessionChange.save` returned


class Session:
    http: httpx.AsyncClient  # shared by every client; replaced (and the old one closed) on a rebuild

    def __init__(
        self,
        settings: ResolvedSettings,
        *,
        options: LaunchOptions | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options or LaunchOptions(demo=settings.demo)
        self.env = env
        self._flags = self.options  # what the next resolution starts from (see `_choose`)
        # Kept so a demo run can switch to a stored profile and back again.
        self._demo_profile = settings.profile if settings.profile.ephemeral else None
        self.generation = 0
        self._install(settings)

    # -- what the UI reads -------------------------------------------------------------------------
    @property
    def profile_name(self) -> str:
        return self.settings.profile_name.value

    @property
    def demo(self) -> bool:
        return self.settings.profile.ephemeral

    @property
    def surface(self) -> Surface:
        return self.settings.surface.value

    def model(self, surface: Surface | str) -> str | None:
        """The chosen model of `surface`: the resolved setting for the active surface (what Settings
        shows, with its origin), the profile's choice for the other."""
        surface = Surface.parse(surface)
        if surface == self.surface:
            return self.settings.model.value
        return self.settings.profile.model_for(surface)

    def inference(self, surface: Surface | str | None = None) -> InferenceClient | None:
        """The client of `surface` (default: the active one), None when it is not configured."""
        surface = Surface.parse(surface or self.surface)
        return self.serverless if surface == Surface.SERVERLESS else self.on_demand

    def inference_reason(self, surface: Surface | str | None = None) -> str | None:
        surface = Surface.parse(surface or self.surface)
        return self.serverless_reason if surface == Surface.SERVERLESS else self.on_demand_reason

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

        previous: httpx.AsyncClient | None = getattr(self, "http", None)  # None on the first install
        self.settings = settings
        remember_in_use(
            settings.inference_api_key.value, settings.control_plane_token.value, settings.refresh_token.value
        )
        self.problems: list[str] = [str(problem) for problem in settings.problems]
        allow = settings.allow_insecure_http.value
        try:
            self.http = make_http_client(
                settings.timeout.value, settings.ca_bundle.value, allow_insecure_http=allow
            )
        except ConfigError as error:  # e.g. a CA bundle that exists but is not PEM
            self.problems.append(f"{error} Using the system trust store.")
            self.http = make_http_client(settings.timeout.value, allow_insecure_http=allow)
        self.serverless, self.serverless_reason = self._build_inference(Surface.SERVERLESS)
        self.on_demand, self.on_demand_reason = self._build_inference(Surface.ON_DEMAND)
        self.control_plane, self.control_plane_reason = self._build_control_plane()
        self._refresh_token = settings.refresh_token.value
        self.login_state = LoginState.CHECKING if self.control_plane else LoginState.NOT_LOGGED_IN
        self.display_name: str | None = None
        self.generation += 1
        return previous

    def _build_inference(self, surface: Surface) -> tuple[InferenceClient | None, str | None]:
        from tm_tui.api.errors import ConfigError

        s = self.settings
        key = s.inference_api_key.value
        base_url = s.serverless_base_url if surface == Surface.SERVERLESS else s.on_demand_base_url
        refused = self._refuse_plain_http(base_url.value)
        if refused:
            return None, refused
        if surface == Surface.ON_DEMAND:
            if not s.on_demand_user_id.value:
                return None, "No on-demand user id: set TENSORMESH_ON_DEMAND_USER_ID, --user-id or a profile."
            if not key:
                return None, "No inference API key: set one in Account or TENSORMESH_INFERENCE_API_KEY."
        try:
            client = self._inference_client(
                surface,
                key.reveal() if key else None,
                s.on_demand_user_id.value if surface == Surface.ON_DEMAND else None,
            )
        except ConfigError as error:
            return None, str(error)
        return client, None

    def _inference_client(self, surface: Surface, key: str | None, user_id: str | None) -> InferenceClient:
        """A client of `surface` at the base URL the settings chose for it."""
        from tm_tui.api.inference import make_inference_client

        s = self.settings
        return make_inference_client(
            self.http,
            s.serverless_base_url.value if surface == Surface.SERVERLESS else s.on_demand_base_url.value,
            key,
            surface,
            user_id,
            s.timeout.value,
            stream_idle_timeout=s.stream_idle_timeout.value,
            max_retries=s.max_retries.value,
        )

    async def on_demand_user_id(self) -> str | None:
        """The profile's on-demand user id, else the logged-in user's id (what `tm init --sync`
        stores). Raises the typed API error when the control plane cannot say."""
        user_id = self.settings.on_demand_user_id.value
        if user_id or self.control_plane is None:
            return user_id
        return (await self.control_plane.profile()).id

    async def probe_inference_key(self, key: str) -> Surface:
        """Check `key` with a cheap authenticated call (`/v1/models`) on the active surface, before
        it is saved; returns the surface. Raises the typed API error when the key does not work."""
        from tm_tui.api.errors import ConfigError

        remember_in_use(key)
        surface = self.surface
        user_id = None
        if surface == Surface.ON_DEMAND:
            user_id = await self.on_demand_user_id()
            if not user_id:
                raise ConfigError(
                    "On-demand keys are checked with a user id, and none is set.",
                    hint="Set the on-demand user id in Settings, or log in to the control plane.",
                )
        await self._inference_client(surface, key, user_id).models()
        return surface

    def _build_control_plane(self) -> tuple[ControlPlaneClient | None, str | None]:
        from tm_tui.api.control_plane import make_control_plane_client

        s = self.settings
        token = s.control_plane_token.value
        refused = self._refuse_plain_http(s.control_plane_base_url.value)
        if refused:
            return None, refused
        if not token:
            return None, "Not logged in to the control plane: log in from Account or with `tm auth login`."
        client = make_control_plane_client(
            self.http,
            s.control_plane_base_url.value,
            token.reveal(),
            s.timeout.value,
            max_retries=s.max_retries.value,
            on_unauthorized=self._refresh_control_plane,
        )
        return client, None

    def _refuse_plain_http(self, base_url: str) -> str | None:
        """The readable refusal for a plain-http remote base URL, once among the problems too (the
        transport's request hook enforces the same rule on every request)."""
        from tm_tui.api.url_policy import InsecureTransportError, insecure_reason

        reason = insecure_reason(base_url, allow=self.settings.allow_insecure_http.value)
        if reason is None:
            return None
        message = f"{reason} {InsecureTransportError.default_hint}"
        if message not in self.problems:
            self.problems.append(message)
        return message

    async def _replace(self, settings: ResolvedSettings) -> None:
        previous = self._install(settings)
        if previous is not None:
            await previous.aclose()

    # -- control-plane login -----------------------------------------------------------------------
    async def _refresh_control_plane(self) -> str | None:
        """Called once on a 401: adopt a token the `tm` CLI stored meanwhile, else trade the refresh
        token for a new access token and store it."""
        from tm_tui.api.errors import TmError
        from tm_tui.api.login import refresh_tokens
        from tm_tui.config import ConfigFileError, save_login
        from tm_tui.config.settings import newer_shared_login

        in_use = self.control_plane.transport.token if self.control_plane else None
        newer = newer_shared_login(self.settings, in_use)
        if newer is not None:  # the `tm` CLI refreshed meanwhile: use its token, spend no refresh
            remember_in_use(newer.access_token, newer.refresh_token)
            self._refresh_token = newer.refresh_token
            self.login_state = LoginState.LOGGED_IN
            return newer.access_token.reveal()
        if not self._refresh_token:
            self.login_state = LoginState.EXPIRED
            return None
        try:
            tokens = await refresh_tokens(
                self.http,
                self.settings.control_plane_base_url.value,
                self._refresh_token.reveal(),
                timeout=self.settings.timeout.value,
            )
        except TmError as error:
            log.info("token refresh failed: %s", type(error).__name__)
            self.login_state = LoginState.EXPIRED
            return None
        remember_in_use(tokens.get("access_token"), tokens.get("refresh_token"))
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
        generation = self.generation
        try:
            user = await self.control_plane.profile()
        except AuthError:
            user, state = None, LoginState.EXPIRED
        except TmError:
            user, state = None, LoginState.UNVERIFIED
        else:
            state = LoginState.LOGGED_IN
        if generation != self.generation:  # the clients were rebuilt meanwhile: this answer is stale
            return
        self.login_state = state
        if user is not None:
            full_name = " ".join(part for part in (user.first_name, user.last_name) if part)
            self.display_name = user.display_name or full_name or user.user_email

    async def probe_control_plane(self) -> int:
        """Reachability without a login: any HTTP answer from `/auth/profile` counts (401 expected).
        Raises `NetworkError`/`Timeout` when the host cannot be reached."""
        from tm_tui.api.transport import Transport

        transport = Transport(
            self.http,
            self.settings.control_plane_base_url.value,
            timeout=self.settings.timeout.value,
        )
        response, _ = await transport.send("GET", "/auth/profile")
        return response.status_code

    @property
    def refresh_token(self) -> Secret | None:
        """The current refresh token: a refresh on a 401 may have replaced the resolved one."""
        return self._refresh_token

    # -- changing the session ----------------------------------------------------------------------
    # Screens never call these: they ask the app (`TmApp.change_session`), which runs one change at
    # a time, the file work in a thread, and announces the result once.
    async def change[T](self, change: SessionChange[T]) -> T | None:
        """Make `change`: its file work in a thread, then the swap on the caller's loop, then (after
        a rebuild) a login check. Returns what `change.save` returned. Raises `ProfileError` /
        `ConfigFileError` from the file work (nothing swapped)."""
        prepared = await asyncio.to_thread(self.prepare, change)
        await self.apply(prepared)
        if prepared.rebuild:  # new clients start as "checking…": ask who is logged in now
            await self.check_login()
        return prepared.result

    def prepare[T](self, change: SessionChange[T]) -> PreparedChange[T]:
        """The blocking part of `change`: store choices, run `save`, re-read the settings."""
        if change.profile is not None:
            flags, settings = self._switch_settings(change.profile)
            return PreparedChange(flags, settings, rebuild=True)
        if change.profile_fields:
            self._persist(**change.profile_fields)
        result = change.save() if change.save is not None else None
        flags, choices = self._flags, dict[str, object]()
        if change.surface is not None:
            choices["surface"] = Surface.parse(change.surface)
        if change.model is not None:
            surface = Surface.parse(change.surface or self.surface)
            choices["model" if surface == Surface.SERVERLESS else "on_demand_model"] = change.model
        if choices:
            self._persist(**choices)
            # A choice made in the app outranks the launch flags from now on (a reload keeps it).
            flags = replace(flags, surface=None, model=None)
        changed = bool(choices or change.profile_fields or change.save or change.reload)
        fresh = self._resolve(flags) if changed else None
        return PreparedChange(flags, fresh, rebuild=change.reload or change.save is not None, result=result)

    def _switch_settings(self, name: str) -> tuple[LaunchOptions, ResolvedSettings]:
        from tm_tui.config import ProfileStore, resolve_settings

        if self._demo_profile is not None and name == self._demo_profile.name:
            flags = self.options
            settings = resolve_settings(LaunchOptions(demo=True), self.env, profile=self._demo_profile)
        else:
            ProfileStore(self.settings.tui_config_dir).set_active(name)  # ProfileError if unknown
            flags = self.options.for_profile_switch(name)
            settings = resolve_settings(flags, self.env, config_dir=self.settings.tui_config_dir)
        return flags, settings

    async def apply(self, prepared: PreparedChange[object]) -> None:
        """The quick part, on the loop: rebuild every client, or (a mere choice of surface or model)
        take the re-resolved profile, surface and model, which every display reads."""
        self._flags = prepared.flags
        fresh = prepared.settings
        if fresh is None:
            return
        if prepared.rebuild:
            await self._replace(fresh)
        else:
            self.settings.profile, self.settings.surface, self.settings.model = (
                fresh.profile,
                fresh.surface,
                fresh.model,
            )

    def _resolve(self, flags: LaunchOptions) -> ResolvedSettings:
        from tm_tui.config import resolve_settings

        profile = self.settings.profile if self.settings.profile.ephemeral else None
        return resolve_settings(flags, self.env, profile=profile, config_dir=self.settings.tui_config_dir)

    def _persist(self, **changes: object) -> None:
        """Store fields of the active profile; the demo profile lives in memory only."""
        profile = self.settings.profile
        if profile.ephemeral:
            for name, value in changes.items():
                setattr(profile, name, value)
            return
        from tm_tui.config import ProfileStore

        ProfileStore(self.settings.tui_config_dir).update(profile.name, **changes)

    async def aclose(self) -> None:
        await self.http.aclose()
