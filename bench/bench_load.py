"""Load: twenty concurrent answer streams and rapid section switching for a minute, then what is left.

The app runs under Pilot against the in-process emulator at its demo pace (bench/load_driver.py says
how: the streams go through compare's code path, the keys are F2…F10, palette commands and compare
opened, sent, stopped and closed). Each figure is a count after the load against the same count after
a warm-up (every section visited, one batch of streams run): a ratio near 1 (or 0 left over) means
nothing grows. The server-side figures come from the emulator's stream counters.

    python bench/bench_load.py [--seconds 60] [--streams 20] [--trace] [--tiny] [--json FILE]

`--trace` also lists where Python memory grew (tracemalloc, which slows the run down).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from load_driver import SECTION_KEYS, LoadReport, run_load  # noqa: E402
from results import Figure, add_arguments, write_figures  # noqa: E402

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"


async def measure(seconds: float, streams: int, trace: bool, sections: tuple[str, ...]) -> LoadReport:
    from tm_tui.app import TmApp
    from tm_tui.emulator.server import run_emulator
    from tm_tui.emulator.state import EmulatorState
    from tm_tui.state import LaunchOptions

    with run_emulator(EmulatorState()) as emulator:
        os.environ.update(emulator.sdk_env())
        app = TmApp(LaunchOptions(model=MODEL))
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            return await run_load(
                pilot, emulator, seconds=seconds, streams=streams, trace=trace, sections=sections
            )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, int) else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--trace", action="store_true", help="list where Python memory grew (slower)")
    add_arguments(parser)
    args = parser.parse_args()
    sections = SECTION_KEYS
    if args.tiny:  # three sections (chat, a list, status) keep the smoke test short
        args.seconds, args.streams, sections = 1.0, 4, ("f2", "f3", "f6")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("HOME", "TM_TUI_CONFIG_DIR", "TM_TUI_DATA_DIR", "TM_CONFIG_HOME"):
            os.environ[name] = str(Path(tmp) / name.lower())
        if args.trace:
            tracemalloc.start(8)
        report = asyncio.run(measure(args.seconds, args.streams, args.trace, sections))
    before, after, server = report.before, report.after, report.server
    print(
        f"{args.streams} concurrent streams for {report.seconds:.0f} s: {report.streams_started} started, "
        f"{report.streams_stopped} stopped by Esc, {len(report.stream_errors)} failed; "
        f"{report.switches} section keys, {report.palette_commands} palette commands, "
        f"{report.compare_rounds} compare rounds"
    )
    print(
        f"server: {server.opened} streams opened, {server.finished} finished, "
        f"{server.disconnected} closed by the client, {server.aborted} aborted, {after.server_open_streams} open after"
    )
    print(f"{'after warm-up → after load':32}{'before':>10}{'after':>10}")
    rows = [
        ("resident memory (MB)", before.rss_mb, after.rss_mb),
        ("asyncio tasks", before.tasks, after.tasks),
        ("workers running", before.workers, after.workers),
        ("timers running", before.timers, after.timers),
        ("HTTP connections busy", before.http_connections, after.http_connections),
    ]
    for label, was, now in rows:
        print(f"{label:32}{_num(was):>10}{_num(now):>10}")
    grown = after.task_kinds - before.task_kinds
    if grown:
        print("task kinds that grew:", dict(grown))
    for line in report.memory_growth:
        print(line)
    warmed = "after the warm-up"
    figures = [
        Figure("asyncio tasks after the load", after.tasks, "tasks", before.tasks, warmed, "ratio <= 1"),
        Figure("workers running after the load", after.workers, "workers", goal="0 growth"),
        Figure("timers running after the load", after.timers, "timers", goal="0 growth"),
        Figure("HTTP connections busy after the load", after.http_connections, "connections", goal="0"),
        Figure("streams open on the server after the load", after.server_open_streams, "streams", goal="0"),
        Figure(
            "streams the client closed / stopped by Esc",
            server.disconnected,
            "streams",
            report.streams_stopped,
            "stopped by Esc",
            "ratio >= 1",
            higher_is_better=True,
        ),
    ]
    if before.rss_mb is not None and after.rss_mb is not None and not args.trace:  # traces inflate it
        figures.insert(
            0,
            Figure("resident memory after the load", after.rss_mb, "MB", before.rss_mb, warmed, "ratio ≈ 1"),
        )
    write_figures(args, figures)


if __name__ == "__main__":
    main()
