"""Fixtures for Pilot tests of the shell.

`emulator_env` points the environment at the per-test emulator (the `default` profile then resolves
to it through the env layer, like a user with TENSORMESH_* exported). `pinned_urls` shows its
base URLs, whose ports are random, as fixed placeholders: snapshots need no fixed ports. `make_app(**options)` builds a
`TmApp` with a fixed clock so latencies are deterministic. Helpers (`settle`, `open_section`,
`wait_until`...) are in `helpers.py`, the chat ones in `chat_helpers.py`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tm_tui import text_safety
from tm_tui.app import TmApp
from tm_tui.emulator.server import RunningEmulator
from tm_tui.state import LaunchOptions


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
