"""Twenty concurrent answer streams plus rapid section switching (F2…F10, the palette, compare opened,
sent, stopped and closed), for a few seconds: afterwards nothing is left behind. The minute-long run
with figures is `bench/bench_load.py`; both use `bench/load_driver.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ..tui.chat_helpers import PLAIN_MODEL
from ..tui.helpers import SIZE

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from load_driver import run_load  # noqa: E402

pytestmark = [pytest.mark.load, pytest.mark.timeout(240)]

SECONDS = 10.0
# Resident memory moves by a few MB with the allocator's mood; a leak of what a minute of streams
# and screens hold would be tens of MB.
RSS_NOISE_MB = 40.0


async def test_twenty_streams_and_fast_switching_leave_nothing_behind(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        report = await run_load(pilot, emulator_env, seconds=SECONDS, streams=20)
    assert report.stream_errors == []
    assert report.streams_started >= 20 and report.streams_stopped >= 1 and report.compare_rounds >= 1
    assert report.switches >= 9 and report.palette_commands >= 1
    server = report.server
    # Every stream the server opened ended; each one stopped by the user was closed by the client.
    assert server.open == 0 and server.aborted == 0
    assert server.disconnected >= report.streams_stopped
    assert server.opened == server.finished + server.disconnected
    growth = report.growth
    kinds = report.after.task_kinds - report.before.task_kinds
    assert growth["tasks"] <= 0, kinds
    assert growth["workers"] <= 0 and growth["timers"] <= 0, growth
    assert growth["http_connections"] <= 0 and report.after.server_open_streams == 0, growth
    if "rss_mb" in growth:
        assert growth["rss_mb"] < RSS_NOISE_MB, growth
