"""SVG snapshots of the shell at 120x40 (`pytest --snapshot-update` regenerates the baselines).

Deterministic by construction: the emulator listens on fixed ports (URLs are on screen) and sends a
fixed request id, the app's clock is fixed (latency shows 0 ms), and every worker has finished
before the picture is taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tm_tui.app import TmApp
from tm_tui.cli import LaunchOptions
from tm_tui.emulator import faults
from tm_tui.emulator.server import RunningEmulator, run_emulator
from tm_tui.emulator.state import EmulatorState, Pacing

from .conftest import SIZE, fixed_clock, open_section, settle

PORTS = {"serverless_port": 47811, "on_demand_port": 47812, "control_plane_port": 47813}


@pytest.fixture
def pinned_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    with ExitStack() as stack:
        try:
            emulator = stack.enter_context(
                run_emulator(EmulatorState(pacing=Pacing(unthrottled=True)), **PORTS)
            )
        except OSError as exc:
            pytest.skip(f"snapshot ports {sorted(PORTS.values())} are busy: {exc}")
        for name, value in emulator.sdk_env().items():
            monkeypatch.setenv(name, value)
        yield emulator


def app() -> TmApp:
    return TmApp(LaunchOptions(), clock=fixed_clock)


async def open_status(pilot) -> None:
    await open_section(pilot, "status")


def test_status_healthy(pinned_emulator, snap_compare):
    assert snap_compare(app(), terminal_size=SIZE, run_before=open_status)


def test_status_with_errors(pinned_emulator, snap_compare, monkeypatch):
    monkeypatch.setattr(faults, "new_request_id", lambda: "req_snapshot")  # ids are random otherwise
    pinned_emulator.state.faults.add("status=503@serverless:/health")
    pinned_emulator.state.faults.add("status=401@control_plane:/auth/profile")
    assert snap_compare(app(), terminal_size=SIZE, run_before=open_status)


def test_help_screen(pinned_emulator, snap_compare):
    async def open_help(pilot) -> None:
        await open_status(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(app(), terminal_size=SIZE, run_before=open_help)
