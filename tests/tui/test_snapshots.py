"""SVG snapshots of the shell at 120x40 (`pytest --snapshot-update` regenerates the baselines).

Deterministic by construction: the emulator's URLs (random ports) are shown as fixed placeholders
(`pinned_urls`), it sends a fixed request id, the app's clock is fixed (latency shows 0 ms), and
every worker has finished before the picture is taken.
"""

from __future__ import annotations

from tm_tui.emulator import faults

from .helpers import SIZE, open_section, settle


async def open_status(pilot) -> None:
    await open_section(pilot, "status")


def test_status_healthy(emulator_env, pinned_urls, make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_status)


def test_status_with_errors(emulator_env, pinned_urls, make_app, snap_compare, monkeypatch):
    monkeypatch.setattr(faults, "new_request_id", lambda: "req_snapshot")  # ids are random otherwise
    emulator_env.state.faults.add("status=503@serverless:/health")
    emulator_env.state.faults.add("status=401@control_plane:/auth/profile")
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_status)


def test_help_screen(emulator_env, pinned_urls, make_app, snap_compare):
    async def open_help(pilot) -> None:
        await open_status(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=open_help)
