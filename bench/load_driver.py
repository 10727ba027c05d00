"""Load on the running app: many concurrent answer streams and rapid section switching, then a count of
what is left (memory, asyncio tasks, workers, timers, HTTP connections; open streams on the server).

Shared by `bench/bench_load.py` (a minute, printed) and `tests/load/` (seconds, asserted). The app
runs under Textual's Pilot against the in-process emulator. Compare shows at most three targets, so
the twenty concurrent streams run through the code path compare uses (`chat_stream.Turn`,
`run_turn`, `open_stream`: the same client, transport and stream decoder) as app workers, while the
real compare screen is opened, sent, stopped and closed by keys between section switches.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.worker import WorkerState

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tm_tui.app import TmApp
    from tm_tui.emulator.server import RunningEmulator
    from tm_tui.screens.chat_stream import Turn

SECTION_KEYS = ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10")
PALETTE_COMMANDS = ("Open Models", "Open Status", "Open Billing", "Open Chat")
PROMPT = "Explain how a KV cache speeds up long conversations, with an example."


def resident_mb() -> float | None:
    """Resident memory of this process (Linux `/proc`; None elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


@dataclass(frozen=True)
class Census:
    """What is alive in the app at one moment."""

    rss_mb: float | None
    tasks: int
    task_kinds: Counter[str]
    workers: int  # pending or running
    timers: int  # active Textual timers
    http_connections: int  # busy ones in the app's connection pool
    server_open_streams: int

    def growth(self, later: Census) -> dict[str, float]:
        """`later` minus this, per count (memory in MB)."""
        grown = {
            "tasks": later.tasks - self.tasks,
            "workers": later.workers - self.workers,
            "timers": later.timers - self.timers,
            "http_connections": later.http_connections - self.http_connections,
            "server_open_streams": later.server_open_streams - self.server_open_streams,
        }
        if self.rss_mb is not None and later.rss_mb is not None:
            grown["rss_mb"] = later.rss_mb - self.rss_mb
        return grown


def _kind(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", type(coro).__name__)


def _timers(app: TmApp) -> int:
    nodes = [app, *app.walk_children(with_self=False)]
    for stack in app._screen_stacks.values():  # sections not on screen keep their timers too
        for screen in stack:
            nodes += [screen, *screen.walk_children(with_self=False)]
    seen = {id(timer): timer for node in nodes for timer in getattr(node, "_timers", ())}
    return sum(1 for timer in seen.values() if timer._task is not None and not timer._task.done())


def _http_connections(app: TmApp) -> int:
    """Connections of the app's pool carrying a request now (idle keep-alive ones come and go with
    the pool's expiry, so they are not a leak)."""
    session = app.session
    pool = getattr(getattr(session.http, "_transport", None), "_pool", None) if session else None
    return sum(1 for connection in getattr(pool, "connections", ()) if not connection.is_idle())


def census(app: TmApp, emulator: RunningEmulator) -> Census:
    gc.collect()
    tasks = [task for task in asyncio.all_tasks() if not task.done()]
    return Census(
        rss_mb=resident_mb(),
        tasks=len(tasks),
        task_kinds=Counter(_kind(task) for task in tasks),
        workers=sum(1 for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)),
        timers=_timers(app),
        http_connections=_http_connections(app),
        server_open_streams=emulator.state.streams.snapshot().open,
    )


async def settle(pilot: Pilot, rounds: int = 200) -> None:
    """Let every worker finish (bounded), as the UI tests do."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
        await asyncio.sleep(0.02)


async def wait_for(pilot: Pilot, condition: Any, what: str, polls: int = 1000) -> None:
    for _ in range(polls):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class StreamPool:
    """Keeps `size` answers streaming at once through compare's code path; `stop_every` of them are
    stopped by the user's Esc path (`Turn.stop`) half-way instead of finishing."""

    app: TmApp
    size: int
    stop_every: int = 3
    started: int = 0
    ended: int = 0
    stopped: int = 0
    failed: list[str] = field(default_factory=list)
    live: dict[int, Turn] = field(default_factory=dict)

    def _on_end(self, message: Any) -> None:
        from tm_tui.screens.chat_stream import TurnEnded

        if isinstance(message, TurnEnded):
            self.live.pop(message.turn.key, None)
            self.ended += 1
            if message.error is not None:
                self.failed.append(f"{type(message.error).__name__}: {message.error}")

    def top_up(self) -> None:
        from tm_tui.chat.modes import Mode
        from tm_tui.screens.chat_stream import Turn, body_with_prompt, open_stream, run_turn

        session = self.app.session
        client = session.inference() if session else None
        if client is None or session is None:
            raise AssertionError("no inference client: the load needs a logged-in demo session")
        model = session.model(session.surface) or ""
        while len(self.live) < self.size:
            key = self.started = self.started + 1
            body = body_with_prompt(Mode.CHAT, model, [], f"{PROMPT} ({key})")
            turn = self.live[key] = Turn(key=key, model=model)
            turn.worker = self.app.run_worker(
                run_turn(turn, partial(open_stream, client, Mode.CHAT, body), self._on_end),
                group="load-streams",
            )

    def stop_some(self) -> None:
        """Esc on every `stop_every`-th answer that has started to arrive."""
        for key, turn in list(self.live.items()):
            if key % self.stop_every == 0 and turn.entered and turn.content:
                turn.stop()
                self.stopped += 1
                self.live.pop(key)  # its end is counted when it comes

    def stop_all(self) -> None:
        for turn in list(self.live.values()):
            turn.stop()


async def open_compare_and_stop(pilot: Pilot) -> None:
    """Chat (F2) → compare (ctrl+b) → Enter sends to every target → Esc stops → Esc closes."""
    from tm_tui.screens.chat import ChatScreen
    from tm_tui.screens.chat_compare import CompareScreen

    app = pilot.app
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen | CompareScreen), "Chat")
    if not isinstance(app.screen, CompareScreen):
        app.screen.query_one("#prompt").replace_text(PROMPT)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "Compare")
    screen = app.screen
    await wait_for(pilot, lambda: all(r.target for r in list(screen.query("TargetRow"))[:2]), "targets")
    screen.query_one("#compare-prompt").replace_text(PROMPT)
    screen.query_one("#compare-prompt").focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: any(t.entered for t in screen.turns.values()) or not screen.turns, "a pane")
    await pilot.press("escape")  # stops every pane
    await wait_for(pilot, lambda: not screen.turns, "compare stopped")
    await pilot.press("escape")  # closes
    await wait_for(pilot, lambda: not isinstance(app.screen, CompareScreen), "compare closed")


async def run_palette(pilot: Pilot, command: str) -> None:
    """ctrl+p, the command typed in one go, Enter on the best hit once it is that command."""
    from textual.command import CommandInput, CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    palette = app.screen
    palette.query_one(CommandInput).value = command

    def first_hit() -> str | None:
        options = palette.query_one(CommandList)
        if options.option_count == 0:
            return None
        prompt = options.get_option_at_index(0).prompt
        return getattr(prompt, "plain", str(prompt)).split("\n")[0]

    await wait_for(pilot, lambda: first_hit() == command, f"palette hit {command!r}")
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), "the palette to close")


@dataclass
class LoadReport:
    seconds: float
    switches: int
    palette_commands: int
    compare_rounds: int
    streams_started: int
    streams_stopped: int
    stream_errors: list[str]
    before: Census
    after: Census
    server: Any  # StreamCounts during the load
    memory_growth: list[str] = field(default_factory=list)  # with `trace`: the top growth sites

    @property
    def growth(self) -> dict[str, float]:
        return self.before.growth(self.after)


async def warm_up(pilot: Pilot, streams: int, sections: tuple[str, ...]) -> None:
    """Visit every section and run one batch of streams, so first-time imports, caches and the
    connection pool are in place before the baseline is counted."""
    await settle(pilot)
    await wait_for(pilot, lambda: pilot.app.session is not None, "the session")
    pool = StreamPool(pilot.app, streams)
    pool.top_up()
    for key in sections:
        await pilot.press(key)
        await pilot.pause()
    await run_palette(pilot, PALETTE_COMMANDS[0])
    await open_compare_and_stop(pilot)
    await wait_for(pilot, lambda: not pool.live, "warm-up streams", polls=3000)
    await pilot.press("f2")
    await settle(pilot)


async def run_load(
    pilot: Pilot,
    emulator: RunningEmulator,
    *,
    seconds: float,
    streams: int = 20,
    trace: bool = False,
    sections: tuple[str, ...] = SECTION_KEYS,
) -> LoadReport:
    """`streams` concurrent answers and section switching (keys, palette, compare) for `seconds`.
    With `trace` (tracemalloc started by the caller), lists where Python memory grew."""
    app = pilot.app
    await warm_up(pilot, streams, sections)
    before = census(app, emulator)
    snapshot = tracemalloc.take_snapshot() if trace else None
    start_counts = emulator.state.streams.snapshot()
    pool = StreamPool(app, streams)
    switches = palette = compares = rounds = 0
    keys = itertools.cycle(sections)
    commands = itertools.cycle(PALETTE_COMMANDS)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        pool.top_up()
        for _ in range(len(sections)):
            await pilot.press(next(keys))
            switches += 1
            await pilot.pause()
            pool.stop_some()
            pool.top_up()
        await run_palette(pilot, next(commands))
        palette += 1
        if rounds % 2 == 0:
            await open_compare_and_stop(pilot)
            compares += 1
        rounds += 1
    pool.stop_all()
    await wait_for(pilot, lambda: pool.ended >= pool.started, "every stream to end", polls=3000)
    await pilot.press("f2")
    await settle(pilot)
    await wait_for(
        pilot, lambda: emulator.state.streams.snapshot().open == 0, "the server to see every stream end"
    )
    after = census(app, emulator)
    growth_sites: list[str] = []
    if snapshot is not None:
        diff = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
        total = sum(stat.size_diff for stat in diff) / 2**20
        growth_sites.append(f"Python heap (traced) grew {total:+.2f} MB; the top sites:")
        for stat in diff[:8]:
            frames = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback[:4])
            growth_sites.append(f"{stat.size_diff / 1024:+9.0f} kB {stat.count_diff:+7d} blocks  {frames}")
    end_counts = emulator.state.streams.snapshot()
    from tm_tui.emulator.stream_watch import StreamCounts

    during = StreamCounts(
        opened=end_counts.opened - start_counts.opened,
        finished=end_counts.finished - start_counts.finished,
        disconnected=end_counts.disconnected - start_counts.disconnected,
        aborted=end_counts.aborted - start_counts.aborted,
    )
    return LoadReport(
        seconds=time.monotonic() - started,
        switches=switches,
        palette_commands=palette,
        compare_rounds=compares,
        streams_started=pool.started,
        streams_stopped=pool.stopped,
        stream_errors=pool.failed,
        before=before,
        after=after,
        server=during,
        memory_growth=growth_sites,
    )
