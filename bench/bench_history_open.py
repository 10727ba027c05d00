"""Open a 200-turn conversation in the chat screen (headless) as the history browser does, then page
back to its first message from the keyboard, and measure how long each takes and how long the event
loop is blocked at a stretch meanwhile.

    .venv/bin/python bench/bench_history_open.py [--turns 200] [--repeat 5] [--tiny] [--json FILE]

Open: from choosing the conversation (`ChatScreen._resume`, the browser's callback) until its newest
turn is on screen. Page back: ctrl+up from the prompt until the first message shows; each press that
brings earlier messages in is a page, timed until they are all mounted. Longest block: a task asks to
wake every 5 ms (`LagProbe`, as in bench_stream.py) and records how late it is, during the open and
the paging. The baseline is the same screen mounting every message at once, in the same run.
Targets: open < 300 ms and < 50 MB, no block > 50 ms. Runs against a temporary data dir; touches no
user data and needs no network.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_history import build  # noqa: E402  (the same synthetic conversation as bench_history)
from bench_stream import LagProbe  # noqa: E402
from results import Figure, add_arguments, write_figures  # noqa: E402

TARGET_MS, TARGET_MB, BLOCK_MS = 300, 50, 50


@dataclass
class Run:
    open_s: float = 0.0
    peak_mb: float = 0.0
    pages: list[float] = field(default_factory=list)
    longest_block_ms: float = 0.0


async def open_once(
    history: Path, conversation_id: int, *, everything: bool, memory: bool, page_back: bool
) -> Run:
    """One app: open the conversation (with `everything`, mount all of it at once instead), then
    (with `page_back`) page back to its first message. tracemalloc slows everything down, so time
    and memory are measured in separate runs."""
    from tm_tui.app import TmApp
    from tm_tui.screens.chat import ChatScreen
    from tm_tui.widgets.chat_message import UserMessage

    run = Run()
    app = TmApp(env={"TM_TUI_DATA_DIR": str(history.parent), "TM_TUI_CONFIG_DIR": str(history.parent)})
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await pilot.pause()
        scroll = screen.query_one("#conversation")

        def busy() -> bool:  # slices of messages still to mount
            return bool(getattr(scroll, "busy", False))

        async def idle() -> None:
            await pilot.pause()
            while busy():
                await pilot.pause()

        def first_shown() -> str:
            return next((m.text for m in screen.query(UserMessage)), "")

        probe = LagProbe([])
        if memory:
            tracemalloc.start()
        probe.start()
        start = time.perf_counter()
        if everything:  # the baseline: one mount of every message
            await baseline_open(screen, conversation_id)
        else:
            await screen._resume(conversation_id)
        await pilot.pause()  # the frame that shows it
        run.open_s = time.perf_counter() - start
        assert screen.query(UserMessage).last().text.startswith(f"{len(screen.chat.messages) // 2 - 1}:")
        if memory:
            run.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        await idle()
        if page_back:
            screen.query_one("#prompt").focus()
            while not (first_shown().startswith("0:") and scroll.scroll_y == 0):
                before = first_shown()
                start = time.perf_counter()
                await pilot.press("ctrl+up")
                await idle()
                if first_shown() != before:
                    run.pages.append(time.perf_counter() - start)
        probe.stop()
        run.longest_block_ms = max(probe.samples, default=0.0) * 1e3
        await pilot.press("ctrl+q")
    return run


async def baseline_open(screen, conversation_id: int) -> None:
    from tm_tui.chat.conversation import ChatSession
    from tm_tui.widgets.conversation_view import widget_for

    assert screen.store is not None
    screen.chat = ChatSession.resume(screen.store, conversation_id)
    await screen.query_one("#conversation").mount_all([widget_for(m) for m in screen.chat.messages])


def ranged(values: list[float], scale: float = 1e3) -> str:
    return f"{statistics.median(values) * scale:.0f} ({min(values) * scale:.0f}–{max(values) * scale:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.turns, args.repeat = 12, 1
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TM_TUI_DATA_DIR"] = tmp
        history = Path(tmp) / "history.sqlite3"
        cid = build(history, args.turns)
        base, runs = [], []
        for _ in range(args.repeat):  # interleaved: both see the same load
            base.append(asyncio.run(open_once(history, cid, everything=True, memory=False, page_back=False)))
            runs.append(asyncio.run(open_once(history, cid, everything=False, memory=False, page_back=True)))
        base_mb = asyncio.run(open_once(history, cid, everything=True, memory=True, page_back=False)).peak_mb
        tail_mb = asyncio.run(open_once(history, cid, everything=False, memory=True, page_back=False)).peak_mb
    opens = [r.open_s for r in runs]
    base_opens = [r.open_s for r in base]
    medians = [statistics.median(r.pages) for r in runs]
    slowest = [max(r.pages) for r in runs]
    blocks = [r.longest_block_ms / 1e3 for r in runs]
    print(f"a {args.turns}-turn conversation, {args.repeat} runs: median (min–max) ms")
    print(f"open, every message at once (baseline)   {ranged(base_opens)}   peak {base_mb:.1f} MB")
    print(f"open, chat screen                        {ranged(opens)}   peak {tail_mb:.1f} MB")
    print(
        f"page back ({len(runs[0].pages)} pages to the top): median page {ranged(medians)}, slowest {ranged(slowest)}"
    )
    print(f"longest event-loop block (open + paging)  {ranged(blocks)}")
    open_s, block_ms = statistics.median(opens), statistics.median(blocks) * 1e3
    ok = open_s * 1e3 < TARGET_MS and tail_mb < TARGET_MB and block_ms < BLOCK_MS
    print(
        f"targets open < {TARGET_MS} ms, < {TARGET_MB} MB, blocks < {BLOCK_MS} ms: {'met' if ok else 'MISSED'}"
    )
    baseline = "mounting every message"
    base_s = statistics.median(base_opens)
    write_figures(
        args,
        [
            Figure(
                f"open a {args.turns}-turn conversation",
                open_s * 1e3,
                "ms",
                base_s * 1e3,
                baseline,
                f"< {TARGET_MS} ms",
            ),
            Figure(
                f"open a {args.turns}-turn conversation, peak memory",
                tail_mb,
                "MB",
                base_mb,
                baseline,
                f"< {TARGET_MB} MB",
            ),
            Figure("page back through it, median page", statistics.median(medians) * 1e3, "ms"),
            Figure("page back through it, slowest page", statistics.median(slowest) * 1e3, "ms"),
            Figure("open and page back, longest event-loop block", block_ms, "ms", goal=f"< {BLOCK_MS} ms"),
        ],
    )


if __name__ == "__main__":
    main()
