"""Credential helpers of the Account section, free of widgets: check an inference key on the active
surface and make it the profile's key, the on-demand user id, and opening the login page."""

from __future__ import annotations

import asyncio
import sys
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tm_tui.config.secrets import mask

if TYPE_CHECKING:
    from tm_tui.session import Session


async def user_id_for_on_demand(session: Session) -> str | None:
    """The profile's on-demand user id, else the logged-in user's id (what `tm init --sync` stores)."""
    user_id = session.settings.on_demand_user_id.value
    if user_id or session.control_plane is None:
        return user_id
    return (await session.control_plane.profile()).id


async def probe_inference_key(session: Session, key: str) -> str:
    """Check `key` with a cheap authenticated call (`/v1/models`) on the active surface; returns the
    surface. Raises the typed API error when the key does not work."""
    from tm_tui.api.errors import ConfigError
    from tm_tui.api.inference import make_inference_client

    settings = session.settings
    surface = session.surface
    user_id = None
    if surface == "on_demand":
        user_id = await user_id_for_on_demand(session)
        if not user_id:
            raise ConfigError(
                "On-demand keys are checked with a user id, and none is set.",
                hint="Set the on-demand user id in Settings, or log in to the control plane.",
            )
    base = (
        settings.serverless_base_url.value if surface == "serverless" else settings.on_demand_base_url.value
    )
    client = make_inference_client(
        session.http,  # type: ignore[arg-type]
        base,
        key,
        surface,  # type: ignore[arg-type]
        user_id,
        settings.timeout.value,
    )
    await client.models()
    return surface


def open_in_gui_browser(url: str, env: Mapping[str, str]) -> bool:
    """Open `url` in a graphical browser; False when there is none. A console browser (lynx, w3m)
    would take over the terminal the app is drawing on, so it is never used."""
    if sys.platform not in ("darwin", "win32") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # how console browsers are registered
        return False
    return bool(browser.open(url, new=2))


def saved_where(path: Path | None) -> str:
    return f"saved to {path}" if path is not None else "kept in memory for this demo run"


async def activate_key(session: Session, key: str) -> str:
    """Check `key` on the active surface, save it as the profile's inference key and rebuild the
    clients; returns what to tell the user. Raises `TmError` / `ConfigFileError`, having saved nothing."""
    from tm_tui.config import save_inference_key

    surface = await probe_inference_key(session, key)
    path = await asyncio.to_thread(save_inference_key, session.settings, key)
    await session.reload()
    await session.check_login()  # the reload forgot it: the context bar would say "checking…"
    where = "serverless" if surface == "serverless" else "on-demand"
    return f"✓ {mask(key)} works on {where}; {saved_where(path)}."


def active_key(session: Session) -> str | None:
    key = session.settings.inference_api_key.value
    return key.reveal() if key else None
