"""Profiles: named environments (base URLs, provider, user id, surface, model, credentials source).

A `Profile` holds no secret. Stored profiles live in tm-tui's config.toml as `[profiles.<name>]`
tables (see `tui_config`); their secrets go to `credentials.json`. Unset fields (None) fall through
to the lower layers when settings are resolved, so the zero-configuration `default` profile means
"production URLs, and the `tm` CLI's auth.json/config.toml".

`uses_tm_cli_files` defaults to True only for the profile named `default`: a custom profile keeps its
own credentials unless it opts in. `demo_profile()` builds an in-memory profile whose credentials
live only in the object (`inline_credentials`), so the demo never writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from tm_tui.config.secrets import Secret
from tm_tui.config.values import (
    PROVIDER_BASES,
    Surface,
    parse_base_url,
    parse_provider,
    parse_uuid,
)

DEFAULT_PROFILE = "default"
DEMO_PROFILE = "demo"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
# Keys of credentials.json entries and of `inline_credentials`.
CREDENTIAL_KEYS = ("inference_api_key", "control_plane_token", "refresh_token")


def validate_profile_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not name or len(name) > 64 or not set(name) <= _NAME_CHARS:
        raise ValueError("profile names use 1-64 letters, digits, '-', '_' or '.'")
    return name


class Profile(BaseModel):
    """One named environment. Every field but `name` is optional; None means "not set here"."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    name: str
    serverless_base_url: str | None = None
    on_demand_base_url: str | None = None
    control_plane_base_url: str | None = None
    gateway_provider: str | None = None
    # provider -> on-demand host, overriding the built-in external.<provider>.tensormesh.ai table
    on_demand_hosts: dict[str, str] = Field(default_factory=dict)
    on_demand_user_id: str | None = None
    surface: Surface | None = None
    model: str | None = None
    on_demand_model: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    stream_idle_timeout_s: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    ca_bundle: str | None = None
    uses_tm_cli_files: bool = False
    # Only for in-memory profiles (the demo); never serialised, never written anywhere.
    inline_credentials: dict[str, str] | None = Field(default=None, exclude=True, repr=False)
    _ephemeral: bool = PrivateAttr(default=False)

    @model_validator(mode="before")
    @classmethod
    def _default_shares_tm_files(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "uses_tm_cli_files" not in data:
            data = {**data, "uses_tm_cli_files": data.get("name") == DEFAULT_PROFILE}
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return validate_profile_name(value)

    @field_validator("serverless_base_url", "on_demand_base_url", "control_plane_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _blank_to_none(value, parse_base_url)

    @field_validator("gateway_provider")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        return _blank_to_none(value, parse_provider)

    @field_validator("on_demand_hosts")
    @classmethod
    def _hosts(cls, value: dict[str, str]) -> dict[str, str]:
        return {parse_provider(provider): parse_base_url(url) for provider, url in value.items()}

    @field_validator("on_demand_user_id")
    @classmethod
    def _user_id(cls, value: str | None) -> str | None:
        return _blank_to_none(value, parse_uuid)

    @field_validator("surface", mode="before")
    @classmethod
    def _surface(cls, value: object) -> object:
        return _blank_to_none(value, Surface.parse)

    @field_validator("model", "on_demand_model", "ca_bundle")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _blank_to_none(value, str.strip)

    @property
    def ephemeral(self) -> bool:
        """True for in-memory profiles (the demo): saving credentials must not touch any file."""
        return self._ephemeral

    def model_for(self, surface: Surface) -> str | None:
        return self.model if surface == Surface.SERVERLESS else self.on_demand_model

    def inline_secret(self, key: str) -> Secret | None:
        value = (self.inline_credentials or {}).get(key)
        return Secret(value) if value else None

    def to_toml_table(self) -> dict[str, Any]:
        """The `[profiles.<name>]` table: only fields that are set, no name, no secrets."""
        data = self.model_dump(exclude={"name"}, exclude_none=True)
        if not data.get("on_demand_hosts"):
            data.pop("on_demand_hosts", None)
        if data.get("uses_tm_cli_files") == (self.name == DEFAULT_PROFILE):
            data.pop("uses_tm_cli_files")  # the default for this name; keeps the file minimal
        return data


def _blank_to_none(value: Any, parse: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse(value)


def default_profile() -> Profile:
    """The zero-configuration profile: production URLs and the `tm` CLI's files."""
    return Profile(name=DEFAULT_PROFILE)


def demo_profile(urls: Mapping[str, str], credentials: Mapping[str, str]) -> Profile:
    """An in-memory profile pointing every surface (and every provider's host) at an emulator.

    `urls` keys: `serverless`, `on_demand` (also used for every provider), `control_plane`; a
    `*_base_url` spelling is accepted too. `credentials` keys: `inference_api_key`,
    `control_plane_token`, optionally `refresh_token` and `on_demand_user_id`. Nothing is written to
    disk, not even by `save_login`/`save_inference_key` (see `settings`).
    """

    def url(key: str) -> str | None:
        return urls.get(key) or urls.get(f"{key}_base_url")

    on_demand = url("on_demand")
    profile = Profile(
        name=DEMO_PROFILE,
        serverless_base_url=url("serverless"),
        control_plane_base_url=url("control_plane"),
        on_demand_hosts=dict.fromkeys(PROVIDER_BASES, on_demand) if on_demand else {},
        on_demand_user_id=credentials.get("on_demand_user_id"),
        uses_tm_cli_files=False,
        inline_credentials={k: v for k, v in credentials.items() if k in CREDENTIAL_KEYS and v},
    )
    profile._ephemeral = True
    return profile
