"""What the big-table benchmarks (bench_billing.py, bench_support.py) share: stamping paints so a
timing ends when rows are on screen, an isolated environment, and the side-by-side summary.

Not a benchmark itself (no `bench_` prefix): the runner does not pick it up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from types import SimpleNamespace

from results import Figure

SIZE = (120, 40)
PLAIN = "plain DataTable loaded with everything"
# (key, label) of each measurement a run returns, in the order they are printed.
MEASURES = (
    ("first_rows_ms", "first rows ms"),
    ("end_ms", "to the last row ms"),
    ("total_ms", "first page → last row ms"),
    ("median_key_ms", "median End press ms"),
    ("worst_key_ms", "slowest End press ms"),
    ("memory_mb", "memory MiB"),
)


class Paints:
    """Stamps each time a table widget draws a line, so a timing ends when rows are on screen."""

    def __init__(self, widget_class) -> None:
        self.widget_class, self.original = widget_class, widget_class.render_line
        self.last = 0.0

        def render_line(widget, y):
            strip = self.original(widget, y)
            self.last = time.perf_counter()
            return strip

        widget_class.render_line = render_line

    async def after(self, moment: float, limit_s: float = 30) -> float:
        """The time of the first paint after `moment` (waits for it)."""
        while self.last <= moment:
            if time.perf_counter() - moment > limit_s:
                raise TimeoutError(f"no paint of {self.widget_class.__name__} within {limit_s} s")
            await asyncio.sleep(0.0005)
        return self.last

    def restore(self) -> None:
        self.widget_class.render_line = self.original


@contextlib.contextmanager
def emulator_process(*args: str) -> Iterator[SimpleNamespace]:
    """The emulator in a process of its own (`python -m tm_tui.emulator --json ARGS`), as a real
    server would be: in a thread of the measured process it would take the GIL from the app's loop
    while it serves pages, and the app would be charged for the server's work."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tm_tui.emulator", "--json", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        found = json.loads(proc.stdout.readline())
        env = {
            "TENSORMESH_SERVERLESS_BASE_URL": found["serverless_base_url"],
            "TENSORMESH_ON_DEMAND_BASE_URL": found["on_demand_base_url"],
            "TENSORMESH_CONTROL_PLANE_BASE_URL": found["control_plane_base_url"],
            "TENSORMESH_INFERENCE_API_KEY": found["inference_api_key"],
            "TENSORMESH_ON_DEMAND_USER_ID": found["on_demand_user_id"],
            "TENSORMESH_CONTROL_PLANE_TOKEN": found["control_plane_token"],
        }
        yield SimpleNamespace(
            sdk_env=lambda: env,
            control_plane_base_url=found["control_plane_base_url"],
            control_plane_token=found["control_plane_token"],
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def isolate(tmp: str) -> None:
    """Every directory the app reads or writes goes to `tmp` (no user data is touched)."""
    for var in ("TM_TUI_DATA_DIR", "TM_TUI_CONFIG_DIR", "TM_CONFIG_HOME", "TM_TUI_CACHE_DIR"):
        os.environ[var] = tmp


async def wait_for(predicate, limit_s: float = 60) -> None:
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > limit_s:
            raise TimeoutError(f"not reached within {limit_s} s")
        await asyncio.sleep(0.0005)


def summarize(title: str, what: str, plain: list[dict[str, float]], ours: list[dict[str, float]]) -> None:
    """Prints both sides and the ratios; adds `total_ms` to each run."""
    for run in (*plain, *ours):
        run["total_ms"] = run["first_rows_ms"] + run["end_ms"]
    print(f"{title}, {len(ours)} runs (median; range over runs)")
    print(f"{'':26}{'plain DataTable':>22}{what:>22}{'ratio':>8}")
    for key, label in MEASURES:
        base = [r[key] for r in plain if key in r]
        mine = [r[key] for r in ours if key in r]
        if not base or not mine:
            continue

        def cell(values: list[float]) -> str:
            return f"{statistics.median(values):.1f} ({min(values):.0f}–{max(values):.0f})"

        ratio = statistics.median(mine) / statistics.median(base) if statistics.median(base) else 0
        print(f"{label:26}{cell(base):>22}{cell(mine):>22}{ratio:8.3f}")


def figures(title: str, plain: list[dict[str, float]], ours: list[dict[str, float]]) -> Sequence[Figure]:
    """The runner's figures: first rows, to the last row, memory (each against the plain table)."""
    median = statistics.median

    def figure(key: str, what: str, unit: str, goal: str = "") -> Figure:
        return Figure(
            f"{title}: {what}",
            median([r[key] for r in ours if key in r]),
            unit,
            baseline=median([r[key] for r in plain if key in r]),
            baseline_name=PLAIN,
            goal=goal,
        )

    return [
        figure("first_rows_ms", "first page → first rows", "ms", "<= 150 ms"),
        figure("total_ms", "first page → cursor on the last row", "ms"),
        figure("worst_key_ms", "slowest End press", "ms"),
        figure("memory_mb", "memory (tracemalloc)", "MiB"),
    ]


async def plain_table_run(
    emulator, columns: Sequence[str], fetch_rows, count: int, measure_memory: bool
) -> dict[str, float]:
    """The baseline of both table benches: every page fetched first (`fetch_rows(client)` returns the
    time the first page arrived and every row's cells), then added to a plain `DataTable`; first rows,
    the End key and memory measured as for ours."""
    import gc
    import tracemalloc

    import httpx
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tm_tui.api.control_plane import make_control_plane_client

    class PlainTable(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

    result: dict[str, float] = {}
    paints = Paints(DataTable)
    app = PlainTable()
    try:
        async with app.run_test(headless=True, size=SIZE) as pilot, httpx.AsyncClient() as http:
            client = make_control_plane_client(
                http, emulator.control_plane_base_url, emulator.control_plane_token
            )
            table = app.query_one(DataTable)
            for title in columns:
                table.add_column(title)
            await pilot.pause()
            if measure_memory:
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
            first, rows = await fetch_rows(client)
            table.add_rows(rows)
            shown = await paints.after(time.perf_counter())
            result["first_rows_ms"] = (shown - first) * 1000
            pressed = time.perf_counter()
            table.action_scroll_bottom()  # what ctrl+end does: the cursor to the last row
            done = await paints.after(pressed)
            result["worst_key_ms"] = result["median_key_ms"] = (done - pressed) * 1000
            result["end_ms"] = (done - shown) * 1000
            assert table.cursor_row == count - 1
            if measure_memory:
                gc.collect()
                result["memory_mb"] = (tracemalloc.get_traced_memory()[0] - before) / 2**20
                tracemalloc.stop()
    finally:
        paints.restore()
    return result
