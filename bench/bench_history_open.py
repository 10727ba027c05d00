"""Open a 200-turn conversation in the chat screen (headless): time until rendered, memory growth,
and the time of each page of earlier messages while scrolling back through all of it.

    .venv/bin/python bench/bench_history_open.py [--turns 200] [--repeat 5] [--tiny] [--json FILE]

The chat mounts only the last messages of a long conversation, then `EARLIER_PAGE` more each time
the view reaches the top; the baseline is the same screen mounting every message at once, measured
in the same run. Targets: open < 300 ms and < 50 MB; no page load near a second (a stall).
Runs against a temporary data dir; touches no user data and needs no network.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_history import build  # noqa: E402  (the same synthetic conversation as bench_history)
from results import Figure, add_arguments, write_figures  # noqa: E402

TARGET_MS, TARGET_MB, STALL_MS = 300, 50, 1000


async def open_once(
    history: Path, conversation_id: int, *, everything: bool, memory: bool, pages: list[float] | None = None
) -> float:
    """Seconds until the conversation is on screen, or (with `memory`) the peak traced MB instead:
    tracemalloc slows everything down, so time and memory are measured in separate runs. With
    `pages`, then loads every earlier page as scrolling to the top would, appending each one's seconds."""
    from tm_tui.app import TmApp
    from tm_tui.screens.chat import ChatScreen, _widget_for
    from tm_tui.store.history import HistoryStore

    app = TmApp(env={"TM_TUI_DATA_DIR": str(history.parent), "TM_TUI_CONFIG_DIR": str(history.parent)})
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        if screen.store is None:
            screen._open_store()
        from tm_tui.chat.conversation import ChatSession

        screen.chat = ChatSession.resume(HistoryStore(history), conversation_id)
        if memory:
            tracemalloc.start()
        start = time.perf_counter()
        if everything:  # the baseline: one mount of every message
            await screen._conversation.mount_all([_widget_for(m) for m in screen.chat.messages])
        else:
            await screen.render_conversation()
        await pilot.pause()  # the frame that shows it
        elapsed = time.perf_counter() - start
        if memory:
            elapsed = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        while pages is not None and screen._hidden_before:
            start = time.perf_counter()
            await screen.load_earlier()
            await pilot.pause()
            pages.append(time.perf_counter() - start)
        await pilot.press("ctrl+q")
    return elapsed


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
        results = {}
        for label, everything in (("every message (baseline)", True), ("chat screen (tail)", False)):
            runs = [
                asyncio.run(open_once(history, cid, everything=everything, memory=False))
                for _ in range(args.repeat)
            ]
            results[label] = (
                statistics.median(runs),
                asyncio.run(open_once(history, cid, everything=everything, memory=True)),
            )
        pages: list[float] = []
        asyncio.run(open_once(history, cid, everything=False, memory=False, pages=pages))
    base_ms = results["every message (baseline)"][0]
    print(f"open a {args.turns}-turn conversation, {args.repeat} runs each (median time, peak traced memory)")
    print(f"{'':28}{'ms':>9}{'MB':>8}{'ratio':>8}")
    for label, (seconds, mb) in results.items():
        print(f"{label:28}{seconds * 1e3:9.1f}{mb:8.1f}{seconds / base_ms:8.2f}")
    print(
        f"scrolling back: {len(pages)} pages, median {statistics.median(pages) * 1e3:.0f} ms, "
        f"max {max(pages) * 1e3:.0f} ms, all {sum(pages) * 1e3:.0f} ms ({sum(pages) / base_ms:.2f} of the baseline)"
    )
    tail_s, tail_mb = results["chat screen (tail)"]
    ok = tail_s * 1e3 < TARGET_MS and tail_mb < TARGET_MB and max(pages) * 1e3 < STALL_MS
    print(f"targets < {TARGET_MS} ms, < {TARGET_MB} MB, pages < {STALL_MS} ms: {'met' if ok else 'MISSED'}")
    base_s, base_mb = results["every message (baseline)"]
    baseline = "mounting every message"
    write_figures(
        args,
        [
            Figure(f"open a {args.turns}-turn conversation", tail_s * 1e3, "ms", base_s * 1e3, baseline, f"< {TARGET_MS} ms"),
            Figure(f"open a {args.turns}-turn conversation, peak memory", tail_mb, "MB", base_mb, baseline, f"< {TARGET_MB} MB"),
            Figure("page back through it, median page", statistics.median(pages) * 1e3, "ms", goal="< 50 ms"),
            Figure("page back through it, slowest page", max(pages) * 1e3, "ms", goal="< 50 ms"),
        ],
    )


if __name__ == "__main__":
    main()
