"""Fixtures for Pilot tests of the shell.

`emulator_env` points the environment at the per-test emulator (the `default` profile then resolves
to it through the env layer, like a user with TENSORMESH_* exported). `pinned_urls` shows its
base URLs, whose ports are random, as fixed placeholders: snapshots need no fixed ports. `make_app(**options)` builds a
`TmApp` with a fixed clock so latencies are deterministic. `settle(pilot)` waits until no worker is
running and every posted message has been handled — never a fixed sleep.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerFailed, WorkerState

from tm_tui.app import TmApp
from tm_tui.cli import LaunchOptions
from tm_tui.config import ProfileStore
from tm_tui.emulator.server import RunningEmulator
from tm_tui.widgets import urls

SIZE = (120, 40)


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
    display_url = urls.display_url

    def pinned(url: str) -> str:
        for real, placeholder in shown.items():
            url = url.replace(real, placeholder)
        return display_url(url)

    monkeypatch.setattr(urls, "display_url", pinned)
    return shown


@pytest.fixture
def make_app() -> Callable[..., TmApp]:
    def build(**options: object) -> TmApp:
        return TmApp(LaunchOptions(**options), clock=fixed_clock)  # type: ignore[arg-type]

    return build


async def settle(pilot: Pilot, rounds: int = 50) -> None:
    """Wait for every worker (including ones started by messages handled meanwhile) to finish."""
    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerFailed):  # failures are the app's to report (and tests' to check)
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers did not settle")


def notifications(app: TmApp) -> list[tuple[str, str, str]]:
    """(title, message, severity) of every notification the app has shown."""
    return [(n.title, n.message, n.severity) for n in app._notifications]


async def open_section(pilot: Pilot, section_id: str) -> None:
    """Switch to a section by its key, as a user would, and let it load."""
    from tm_tui.screens.sections import section

    await settle(pilot)
    await pilot.press(section(section_id).key)
    await settle(pilot)


@pytest.fixture
def on_demand_profile(isolated_dirs, emulator, monkeypatch):
    """The active profile points every provider's host at the emulator; no key, no user id yet."""
    (isolated_dirs["TM_TUI_CONFIG_DIR"] / "config.toml").write_text(
        f"""
active_profile = "lab"

[profiles.lab]
serverless_base_url = "{emulator.serverless_base_url}"
control_plane_base_url = "{emulator.control_plane_base_url}"

[profiles.lab.on_demand_hosts]
nebius = "{emulator.on_demand_base_url}"
lambda = "{emulator.on_demand_base_url}"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    return ProfileStore(isolated_dirs["TM_TUI_CONFIG_DIR"])
