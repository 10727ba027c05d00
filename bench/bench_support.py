"""2,000 support tickets: the Support section's list (the first page shown at once, the next ones
loaded as the cursor nears the end) against a plain `DataTable` loaded with every ticket, in the same
run, against the emulator seeded with 2,000 tickets.

    .venv/bin/python bench/bench_support.py [--runs 3] [--tiny] [--json FILE]

First rows: from the first page's reply arriving to its rows painted (the plain table: once every
page is in and added). To the end: from the first rows to the cursor on the very last ticket pressing
End, each press painted (Support loads the next page when the cursor nears the end; the plain table
has them all). Memory: Python heap held by the loaded tickets and the widget (tracemalloc, in a
separate pass so it does not slow the timings): the whole section for Support, the table alone for
the plain one. The emulator runs in a process of its own. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import add_arguments, write_figures  # noqa: E402
from tables import SIZE, Paints, emulator_process, figures, isolate, plain_table_run, summarize, wait_for  # noqa: E402

COUNT = 2_000
TINY_COUNT = 120  # --tiny: a few pages


class Arrivals:
    """Stamps each reply of `ControlPlaneClient.tickets` (the list's pages)."""

    def __init__(self) -> None:
        from tm_tui.api.control_plane import ControlPlaneClient

        self.cls, self.original = ControlPlaneClient, ControlPlaneClient.tickets
        self.times: list[float] = []
        original = self.original

        async def stamped(client, *args, **kwargs):
            page = await original(client, *args, **kwargs)
            self.times.append(time.perf_counter())
            return page

        ControlPlaneClient.tickets = stamped  # type: ignore[method-assign]

    def restore(self) -> None:
        self.cls.tickets = self.original  # type: ignore[method-assign]


async def support_run(emulator, measure_memory: bool) -> dict[str, float]:
    from tm_tui.app import TmApp
    from tm_tui.screens.support import SupportScreen
    from tm_tui.state import LaunchOptions
    from tm_tui.widgets.paged_table import PagedTable

    arrivals, paints = Arrivals(), Paints(PagedTable)
    app = TmApp(LaunchOptions(), env={**os.environ, **emulator.sdk_env()})
    result: dict[str, float] = {}
    try:
        async with app.run_test(headless=True, size=SIZE) as pilot:
            while app.session is None:
                await pilot.pause(0.01)
            if measure_memory:
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
            await app.run_action("open_section('support')")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SupportScreen)
            table = screen.query_one("#tickets", PagedTable)
            await wait_for(lambda: arrivals.times and table.rows)
            shown = await paints.after(arrivals.times[0])
            result["first_rows_ms"] = (shown - arrivals.times[0]) * 1000
            keys, done = [], shown
            while table.cursor < COUNT - 1 or screen.fetching:
                await wait_for(lambda: not screen.fetching)  # the next page, asked for near the end
                pressed = time.perf_counter()
                table.action_last()  # what End does
                done = await paints.after(pressed)
                keys.append(done - pressed)
            result["end_ms"] = (done - shown) * 1000
            result["worst_key_ms"] = max(keys) * 1000
            result["median_key_ms"] = statistics.median(keys) * 1000
            assert len(table.rows) == COUNT and table.cursor == COUNT - 1
            if measure_memory:
                gc.collect()
                result["memory_mb"] = (tracemalloc.get_traced_memory()[0] - before) / 2**20
                tracemalloc.stop()
    finally:
        arrivals.restore()
        paints.restore()
    return result


async def baseline_run(emulator, measure_memory: bool) -> dict[str, float]:
    """Every ticket fetched (the same page size as Support), then added to a `DataTable`."""
    from tm_tui.screens.support import PAGE_SIZE, ticket_cells

    async def every_page(client):
        first: float | None = None
        tickets, number = [], 1
        while True:
            page = await client.tickets(number, PAGE_SIZE)
            first = first or time.perf_counter()
            tickets.extend(page.tickets)
            if not page.tickets or len(tickets) >= int(page.total or 0):
                return first, [ticket_cells(t) for t in tickets]
            number += 1

    columns = ("Ticket", "Subject", "Status", "Updated", "Msgs")
    return await plain_table_run(emulator, columns, every_page, COUNT, measure_memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs here; ./dev bench --runs N repeats too")
    add_arguments(parser)
    args = parser.parse_args()
    global COUNT
    if args.tiny:
        COUNT, args.runs = TINY_COUNT, 1

    ours: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        isolate(tmp)
        with emulator_process("--tickets", str(COUNT)) as emulator:
            for _ in range(args.runs):  # interleaved, so the load of the machine hits both alike
                plain.append(asyncio.run(baseline_run(emulator, False)))
                ours.append(asyncio.run(support_run(emulator, False)))
            plain[0] |= {"memory_mb": asyncio.run(baseline_run(emulator, True))["memory_mb"]}
            ours[0] |= {"memory_mb": asyncio.run(support_run(emulator, True))["memory_mb"]}

    summarize(f"{COUNT:,} tickets", "Support", plain, ours)
    write_figures(args, list(figures(f"support, {COUNT:,} tickets", plain, ours)))


if __name__ == "__main__":
    main()
