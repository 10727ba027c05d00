"""10,000 billing transactions: the Billing section's paged table against a plain `DataTable` loaded
with everything, in the same run, against the emulator padded to 10,000 transactions (in a process
of its own, as a real server would be: see bench/tables.py).

    .venv/bin/python bench/bench_billing.py [--runs 3] [--tiny] [--json FILE]

First rows: from the first page's reply arriving to its rows on screen. Billing shows that page at
once; the plain table, the usual "load everything, then show" way, shows rows once every page is
in and added. To the end: from the first rows to the cursor on the very last transaction, pressing
End (Billing loads the next page each time the cursor nears the end; the plain table has them all).
End press: from the key's action to the rows painted, median and slowest (does scrolling stay
smooth). Memory: Python heap held from opening the section to the end (tracemalloc, a separate
pass so it does not slow the timings): the whole section for Billing, the table alone for the
plain one. Target: first rows within 150 ms of the first page. No network beyond 127.0.0.1.
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
from tables import SIZE, Paints, emulator_process, figures, isolate, plain_table_run, summarize  # noqa: E402

COUNT = 10_000
TINY_COUNT = 1_200  # --tiny: above the seed's own ~1,050, so the ledger is padded to exactly this


async def billing_run(emulator, measure_memory: bool) -> dict[str, float]:
    from tm_tui.app import TmApp
    from tm_tui.screens.billing import BillingScreen
    from tm_tui.screens.billing_transactions import TransactionsPanel
    from tm_tui.state import LaunchOptions
    from tm_tui.widgets.paged_table import PagedTable

    arrived: list[float] = []
    original = TransactionsPanel.fetch

    async def stamped(self, client):  # the first page's reply is in
        page = await original(self, client)
        arrived.append(time.perf_counter())
        return page

    TransactionsPanel.fetch = stamped
    paints = Paints(PagedTable)
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
            await app.run_action("open_section('billing')")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, BillingScreen)
            screen.action_tab("transactions")
            panel = screen.query_one(TransactionsPanel)
            table = panel.query_one(PagedTable)
            while not arrived:
                await asyncio.sleep(0.0005)
            while not table.rows:
                await asyncio.sleep(0.0005)
            shown = await paints.after(arrived[0])
            result["first_rows_ms"] = (shown - arrived[0]) * 1000
            keys, done = [], shown
            while table.cursor < COUNT - 1 or panel.fetching_page:
                while panel.fetching_page:  # the next page, asked for by nearing the end
                    await asyncio.sleep(0.0005)
                pressed = time.perf_counter()
                table.action_last()  # what End does
                done = await paints.after(pressed)
                keys.append(done - pressed)
            result["end_ms"] = (done - shown) * 1000
            result["worst_key_ms"] = max(keys) * 1000
            result["median_key_ms"] = statistics.median(keys) * 1000
            assert len(panel.loaded) == COUNT and table.cursor == COUNT - 1
            if measure_memory:
                gc.collect()
                result["memory_mb"] = (tracemalloc.get_traced_memory()[0] - before) / 2**20
                tracemalloc.stop()
    finally:
        TransactionsPanel.fetch = original
        paints.restore()
    return result


async def baseline_run(emulator, measure_memory: bool) -> dict[str, float]:
    from tm_tui.billing.transactions import TxnRow
    from tm_tui.screens.billing_transactions import row_cells

    async def every_page(client):  # as the plain way does before showing anything
        first: float | None = None
        rows, token = [], None
        while True:
            page = await client.transactions(100, token)
            first = first or time.perf_counter()
            rows.extend(row_cells(TxnRow.of(t)) for t in page.transactions)
            token = page.next_page_token
            if not token:
                return first, rows

    columns = ("When", "Type", "Status", "Amount", "Description")
    return await plain_table_run(emulator, columns, every_page, COUNT, measure_memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs here; ./dev bench --runs N repeats too")
    add_arguments(parser)
    args = parser.parse_args()
    global COUNT
    if args.tiny:
        COUNT, args.runs = TINY_COUNT, 1
    from tm_tui.api.control_plane import make_control_plane_client  # noqa: F401  (warm imports)

    ours: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        isolate(tmp)
        with emulator_process("--transactions", str(COUNT)) as emulator:
            for _ in range(args.runs):
                plain.append(asyncio.run(baseline_run(emulator, False)))
                ours.append(asyncio.run(billing_run(emulator, False)))
            plain[0] |= {"memory_mb": asyncio.run(baseline_run(emulator, True))["memory_mb"]}
            ours[0] |= {"memory_mb": asyncio.run(billing_run(emulator, True))["memory_mb"]}

    summarize(f"{COUNT:,} transactions", "Billing", plain, ours)
    first = max(r["first_rows_ms"] for r in ours)
    write_figures(args, list(figures(f"billing, {COUNT:,} transactions", plain, ours)))
    print(f"target: first rows <= 150 ms after the first page: {'ok' if first <= 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
