"""Plain `http://` is refused for any host that is not this machine, unless the user allows it.

Every request carries a secret (the inference API key or the control-plane token) in a header; over
plain HTTP anyone on the path can read it. Loopback stays allowed (llama.cpp / vLLM on localhost,
the emulator). `make_http_client` installs `check_url` as a request hook, so every request of the
app's one HTTP client is checked in this single place, whatever built its URL.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tm_tui.api.errors import ConfigError

ALLOW_FLAG = "--allow-insecure-http"
ALLOW_ENV = "TM_TUI_ALLOW_INSECURE_HTTP"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class InsecureTransportError(ConfigError):
    """A plain-http URL to a non-loopback host, refused before anything was sent."""

    default_hint = f"Use https://, or allow plain http with {ALLOW_FLAG} or {ALLOW_ENV}=1."


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped) and the localhost names; never a DNS lookup."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def insecure_reason(url: str, *, allow: bool) -> str | None:
    """Why `url` is refused, or None when it may be used."""
    parts = urlsplit(url.strip())
    if allow or parts.scheme.lower() != "http" or is_loopback_host(parts.hostname or ""):
        return None
    return f"Refusing plain http:// to {parts.hostname}: the API key or token would travel unencrypted."


def check_url(url: str, *, allow: bool) -> None:
    """Raise `InsecureTransportError` when `url` is plain http to a non-loopback host."""
    reason = insecure_reason(url, allow=allow)
    if reason is not None:
        raise InsecureTransportError(reason)
