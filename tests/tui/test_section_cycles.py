"""Switching to a section and away, again and again, leaves nothing running behind: no timer and no
worker more than after the first visits (bench/bench_memory.py measures the memory side)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tm_tui.screens.sections import SECTIONS

from .helpers import SIZE, open_section

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from liveness import running_timers, running_workers  # noqa: E402

CYCLES = 3


@pytest.mark.timeout(240)
async def test_cycling_sections_leaves_no_timer_or_worker_running(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for section in SECTIONS:  # the first visit builds each screen and loads its data
            await open_section(pilot, section.id)
        await open_section(pilot, SECTIONS[0].id)
        timers, workers = running_timers(app), running_workers(app)
        for _ in range(CYCLES):
            for section in SECTIONS:
                await open_section(pilot, section.id)
            await open_section(pilot, SECTIONS[0].id)
        assert running_timers(app) - timers == {}  # none more than after the first visits
        assert running_workers(app) - workers == {}


async def test_the_probes_see_what_a_leaking_screen_leaves_running():
    """A screen that starts a timer and a worker on each visit and never stops them is caught."""
    import asyncio

    from textual.app import App
    from textual.widgets import Static

    class Leaky(App[None]):
        def compose(self):
            yield Static("leaky")

        def visit(self) -> None:
            self.set_interval(60, lambda: None)
            self.run_worker(asyncio.sleep(60), group="leak")

    app = Leaky()
    async with app.run_test() as pilot:
        timers, workers = running_timers(app), running_workers(app)
        for _ in range(CYCLES):
            app.visit()
        await pilot.pause()
        assert running_timers(app) - timers == {"Leaky": CYCLES}
        assert sum((running_workers(app) - workers).values()) == CYCLES
        app.workers.cancel_all()
