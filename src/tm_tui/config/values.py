"""Parsers for individual setting values, shared by every layer (flags, env, tm-tui and tm files).

Each parser takes the raw value (string from flags/env, or whatever TOML/JSON held), returns the
normalised value, and raises `ValueError` with a short "expected ..." message that never echoes the
value (it might be a secret pasted into the wrong field). Blank strings are treated as unset by the
callers, not here.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from tm_tui.surface import Surface

__all__ = ["Surface"]  # re-exported: config code takes it from here; `Surface.parse` parses it

PROVIDER_BASES: dict[str, str] = {
    "nebius": "https://external.nebius.tensormesh.ai",
    "lambda": "https://external.lambda.tensormesh.ai",
    "yotta": "https://external.yotta.tensormesh.ai",
}
DEFAULT_PROVIDER = "nebius"
# Control-plane model records name their host as `infra.cloudProvider`.
CLOUD_PROVIDERS: dict[str, str] = {f"CLOUD_PROVIDER_{name.upper()}": name for name in PROVIDER_BASES}

_TRUTHY = frozenset({"1", "true", "yes", "on"})


def _type_name(raw: object) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        type(raw), type(raw).__name__
    )


def parse_str(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected a string, got {_type_name(raw)}")
    return raw.strip()


def parse_base_url(raw: object) -> str:
    """An http(s) base URL without trailing slashes (the routes are appended verbatim)."""
    value = parse_str(raw).rstrip("/")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest:
        raise ValueError("expected an http:// or https:// URL")
    return value


def parse_positive_float(raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueError("expected a number > 0, got boolean")
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)  # type: ignore[arg-type]  # float() refuses the rest: caught below
    except (TypeError, ValueError):
        raise ValueError(f"expected a number > 0, got {_type_name(raw)}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError("expected a number > 0")
    return value


def parse_non_negative_int(raw: object) -> int:
    if isinstance(raw, bool | float):
        raise ValueError(f"expected an integer >= 0, got {_type_name(raw)}")
    try:
        value = int(raw.strip(), 10) if isinstance(raw, str) else int(raw)  # type: ignore[call-overload]  # int() refuses the rest: caught below
    except (TypeError, ValueError):
        raise ValueError(f"expected an integer >= 0, got {_type_name(raw)}") from None
    if value < 0:
        raise ValueError("expected an integer >= 0")
    return value


def parse_uuid(raw: object) -> str:
    """A UUID in canonical lower-case hyphenated form (what the SDK sends as `X-User-Id`)."""
    try:
        return str(uuid.UUID(parse_str(raw)))
    except ValueError:
        raise ValueError("expected a UUID like 3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b") from None


def parse_provider(raw: object) -> str:
    """`nebius`/`lambda`/`yotta`, matched case-insensitively after trimming (like the CLI)."""
    value = parse_str(raw).lower()
    if value not in PROVIDER_BASES:
        raise ValueError(f"expected one of: {', '.join(PROVIDER_BASES)}")
    return value


def provider_base_url(provider: str) -> str:
    """The default on-demand host for a provider name (any case)."""
    return PROVIDER_BASES[parse_provider(provider)]


def provider_for_cloud(cloud_provider: str | None) -> str | None:
    """Map a control-plane `CLOUD_PROVIDER_*` value to a provider name; None when unknown."""
    if not cloud_provider:
        return None
    return CLOUD_PROVIDERS.get(cloud_provider.strip().upper())


def parse_ca_bundle(raw: object) -> str:
    """A PEM bundle path, `~` expanded; it must be an existing regular file (as the SDK requires)."""
    path = Path(parse_str(raw)).expanduser()
    if not path.is_file():
        raise ValueError("expected an existing regular file (PEM CA bundle)")
    return str(path)


def is_truthy(raw: str | None) -> bool:
    """The SDK's on/off env convention: 1/true/yes/on, trimmed, any case."""
    return raw is not None and raw.strip().lower() in _TRUTHY
