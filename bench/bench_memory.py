"""Memory: resident memory idle after start, after opening a 200-turn conversation, after browsing
10,000 transactions; then growth over 20 open/close cycles of each section.

    .venv/bin/python bench/bench_memory.py [--cycles 20] [--tiny] [--json FILE]

One app (headless, 120x40) against the emulator in a process of its own, driven as a user would:
ctrl+o and enter open the conversation (a 200-turn history built in a temporary data dir), F8 → 3
and End until the last of 10,000 transactions is loaded. Resident memory (RSS, /proc) is compared
with a bare Textual app (header, text, footer) measured the same way in a fresh process.

Cycles: each section is switched to and away from (to another section) `--cycles` times, after two
warm-up visits (the first visit builds the screen and loads its data). Growth per cycle: resident
memory, live Python objects and Python's allocated memory blocks (after a full collection and
handing free C heap back to the system), after minus before, over the cycles; and
the timers and workers still running: a section that starts a timer or a worker on each visit and
never stops it shows here. (No tracemalloc: its own bookkeeping grows the resident memory.)
Touches no user data (temporary dirs); no network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_history import build  # noqa: E402  (the synthetic conversation of bench_history)
from liveness import resident_mib, running_timers, running_workers  # noqa: E402
from results import Figure, add_arguments, write_figures  # noqa: E402
from tables import SIZE, emulator_process, isolate  # noqa: E402

GROWTH_GOAL_BLOCKS = 200  # per cycle: caches filling up, not a screen's worth of widgets


async def settle(pilot, limit_s: float = 60) -> None:
    """Until no worker is pending or running (the section's loads are in), then one more frame."""
    started = time.perf_counter()
    while running_workers(pilot.app) and time.perf_counter() - started < limit_s:
        await pilot.pause(0.02)
    await pilot.pause(0.05)


def _trim() -> None:
    """Free C heap goes back to the system (glibc), so RSS reads what is held, not what was once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_now() -> float:
    gc.collect()
    _trim()
    return resident_mib()


async def measure_app(env: dict[str, str], transactions: int, cycles: int, warmup: int = 2) -> dict:
    from tm_tui.app import TmApp
    from tm_tui.screens.billing import BillingScreen
    from tm_tui.screens.billing_transactions import TransactionsPanel
    from tm_tui.screens.sections import SECTIONS
    from tm_tui.state import LaunchOptions
    from tm_tui.widgets.paged_table import PagedTable

    out: dict = {}
    app = TmApp(LaunchOptions(), env=env)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        while app.session is None:
            await pilot.pause(0.01)
        await settle(pilot)
        await pilot.pause(0.5)
        out["idle_mib"] = rss_now()

        await pilot.press("ctrl+o")  # the history browser; enter opens the newest conversation
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.3)
        out["conversation_mib"] = rss_now()

        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BillingScreen)
        panel = screen.query_one(TransactionsPanel)
        table = panel.query_one(PagedTable)
        table.focus()
        while len(panel.loaded) < transactions or table.cursor < transactions - 1:
            await pilot.press("end")
            await settle(pilot)
        out["transactions_mib"] = rss_now()

        growth: dict[str, dict[str, float]] = {}
        for section in SECTIONS:
            away = next(s.id for s in SECTIONS if s.id != section.id)

            async def visit(section_id: str = section.id, away_id: str = away) -> None:
                await app.run_action(f"open_section('{section_id}')")
                await settle(pilot)
                await app.run_action(f"open_section('{away_id}')")
                await settle(pilot)

            for _ in range(warmup):
                await visit()
            rss = rss_now()
            objects, blocks = len(gc.get_objects()), sys.getallocatedblocks()
            timers, workers = running_timers(app), running_workers(app)
            for _ in range(cycles):
                await visit()
            rss_after = rss_now()
            more_timers = running_timers(app) - timers
            more_workers = running_workers(app) - workers
            growth[section.title] = {
                "objects": (len(gc.get_objects()) - objects) / cycles,
                "blocks": (sys.getallocatedblocks() - blocks) / cycles,
                "rss_kib": (rss_after - rss) * 1024 / cycles,
                "timers": sum(more_timers.values()),
                "workers": sum(more_workers.values()),
                "left": ", ".join(f"{k} ×{v}" for k, v in (more_timers + more_workers).items()),
            }
        out["cycles"] = growth
        await pilot.press("ctrl+q")
    return out


BARE = """
import asyncio, gc, json, sys
sys.path.insert(0, {here!r})
from liveness import resident_mib
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

async def main():
    app = Bare()
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        gc.collect()
        print(json.dumps(resident_mib()))

asyncio.run(main())
"""


def bare_app_mib() -> float:
    code = BARE.format(here=str(Path(__file__).parent))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return float(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--transactions", type=int, default=10_000)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.cycles, args.turns, args.transactions = 1, 12, 1_200
    bare = bare_app_mib()
    with tempfile.TemporaryDirectory() as tmp:
        isolate(tmp)
        build(Path(tmp) / "history.sqlite3", args.turns)
        with emulator_process("--transactions", str(args.transactions)) as emulator:
            env = {**os.environ, **emulator.sdk_env()}
            result = asyncio.run(
                measure_app(env, args.transactions, args.cycles, warmup=1 if args.tiny else 2)
            )

    idle = result["idle_mib"]
    print(f"resident memory (RSS), MiB; bare Textual app {bare:.1f}")
    rows = (
        ("idle after start", idle),
        (f"after opening a {args.turns}-turn conversation", result["conversation_mib"]),
        (f"after browsing {args.transactions:,} transactions", result["transactions_mib"]),
    )
    for label, value in rows:
        print(f"  {label:42}{value:8.1f}  (+{value - idle:.1f} over idle)")
    print(f"\n{args.cycles} open/close cycles of each section, growth per cycle (after 2 warm-up visits)")
    print(f"  {'section':14}{'objects':>10}{'blocks':>10}{'RSS KiB':>10}{'timers':>8}{'workers':>9}  left")
    for title, g in result["cycles"].items():
        print(
            f"  {title:14}{g['objects']:10.1f}{g['blocks']:10.1f}{g['rss_kib']:10.1f}{g['timers']:8}{g['workers']:9}  {g['left']}"
        )
    figures = [
        Figure("memory idle after start (RSS)", idle, "MiB", baseline=bare, baseline_name="bare Textual app"),
        *(
            Figure(f"memory {label} (RSS)", value, "MiB", baseline=idle, baseline_name="tm-tui idle")
            for label, value in rows[1:]
        ),
        *(
            Figure(
                f"{args.cycles} open/close cycles of {title}: {what} per cycle",
                g[key],
                unit,
                goal=goal,
            )
            for title, g in result["cycles"].items()
            for key, what, unit, goal in (
                (
                    "blocks",
                    "Python memory blocks added",
                    "blocks",
                    f"< {GROWTH_GOAL_BLOCKS}, none left running",
                ),
                ("rss_kib", "resident memory added", "KiB", ""),
            )
        ),
    ]
    write_figures(args, figures)


if __name__ == "__main__":
    main()
