"""App state shared by the shell, the session and the sections: what the command line asked for
(`LaunchOptions`), what the context bar shows (`AppContext`, `LoginState`) and the message that
says it changed (`ContextChanged`).

Standard library only, so the headless `Session`, config and `cli.py` can import it cheaply.
`ContextChanged` is a Textual message: it is made on first use (PEP 562), so only Textual code
pays for Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from tm_tui.surface import Surface


@dataclass(frozen=True)
class LaunchOptions:
    """The command-line values (None = not given), named after their flags (`user_id` is
    `--user-id`). Config resolves settings from them: they are its highest layer. Secrets are never
    among them."""

    demo: bool = False
    profile: str | None = None
    surface: Surface | None = None
    model: str | None = None
    serverless_url: str | None = None
    on_demand_url: str | None = None
    control_plane_url: str | None = None
    user_id: str | None = None
    provider: str | None = None
    timeout: float | None = None
    ca_bundle: str | None = None
    allow_insecure_http: bool = False

    def for_profile_switch(self, profile: str) -> LaunchOptions:
        """The options that still apply after switching to `profile` at run time: only the
        transport ones (URL and model flags were meant for the launch profile)."""
        return LaunchOptions(
            profile=profile,
            timeout=self.timeout,
            ca_bundle=self.ca_bundle,
            allow_insecure_http=self.allow_insecure_http,
        )


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
    surface: Surface = Surface.SERVERLESS
    model: str | None = None
    login: LoginState = LoginState.CHECKING
    display_name: str | None = None  # the control-plane user, when known
    demo: bool = False
    generation: int = 0  # Session.generation: 0 until the session exists


if TYPE_CHECKING:
    from textual.message import Message

    class ContextChanged(Message):
        """Profile, surface, model or login state changed: the app re-reads them from the session."""

else:

    def __getattr__(name: str) -> type:
        if name != "ContextChanged":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from textual.message import Message

        class ContextChanged(Message):
            """Profile, surface, model or login state changed: the app re-reads them from the session."""

        ContextChanged.__qualname__ = name
        globals()[name] = ContextChanged
        return ContextChanged
