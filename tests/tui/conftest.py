"""Fixtures for Pilot tests of the shell.

`emulator_env` points the environment at the per-test emulator (the `default` profile then resolves
to it through the env layer, like a user with TENSORMESH_* exported). `pinned_urls` shows its
base URLs, whose ports are random, as fixed placeholders: snapshots need no fixed ports. `make_app(**options)` builds a
`TmApp` with a fixed clock so latencies are deterministic. Helpers (`settle`, `open_section`,
`wait_until`...) are in `helpers.py`, the chat ones in `chat_helpers.py`. `on_demand_profile` points a
profile's provider hosts at the emulator, logged in, with no key or user id yet.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tm_tui import text_safety
from tm_tui.app import TmApp
from tm_tui.config import ProfileStore
from tm_tui.emulator.server import RunningEmulator
from tm_tui.state import LaunchOptions

from .helpers import write_profiles


def fixed_clock() -> float:
    return 0.0


@pytest.fixture
def emulator_env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    for name, value in emulator.sdk_env().items():
        monkeypatch.setenv(name, value)
    return emulator


PLACEHOLDERS = {
    "serverless_base_url": "http://emulator.serverless",
    "on_demand_base_url": "http://emulator.on-demand",
    "control_plane_base_url": "http://emulator.control-plane",
}


@pytest.fixture
def pinned_urls(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Screens show the emulator's URLs as `PLACEHOLDERS`; returns {real URL: placeholder}."""
    shown = {getattr(emulator, name): placeholder for name, placeholder in PLACEHOLDERS.items()}
    display_url = text_safety.display_url

    def pinned(url: str) -> str:
        for real, placeholder in shown.items():
            url = url.replace(real, placeholder)
        return display_url(url)

    monkeypatch.setattr(text_safety, "display_url", pinned)
    return shown


@pytest.fixture
def make_app() -> Callable[..., TmApp]:
    def build(**options: object) -> TmApp:
        return TmApp(LaunchOptions(**options), clock=fixed_clock)  # type: ignore[arg-type]

    return build


@pytest.fixture
def on_demand_profile(isolated_dirs, emulator, monkeypatch):
    """The active profile points every provider's host at the emulator; no key, no user id yet."""
    write_profiles(
        isolated_dirs["TM_TUI_CONFIG_DIR"],
        f"""
active_profile = "lab"

[profiles.lab]
serverless_base_url = "{emulator.serverless_base_url}"
control_plane_base_url = "{emulator.control_plane_base_url}"

[profiles.lab.on_demand_hosts]
nebius = "{emulator.on_demand_base_url}"
lambda = "{emulator.on_demand_base_url}"
""",
    )
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    return ProfileStore(isolated_dirs["TM_TUI_CONFIG_DIR"])
