"""How fast a 200-turn conversation loads from history, against a bare sqlite3 SELECT of the same rows.

    .venv/bin/python bench/bench_history.py [--turns 200] [--repeat 50] [--tiny] [--json FILE]

Prints the median and p95 of each over `--repeat` runs and their ratio. Target: well under 100 ms.
Runs in a temporary directory; touches no user data.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tm_tui.store.history import HistoryStore, MessageStatus

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

ANSWER = "Here is a detailed answer with `code`, lists and prose. " * 30  # ~1.7 KB, a typical reply
QUESTION = "Please explain the next step of the algorithm in detail, with an example."
METRICS = {
    "ttft_s": 0.412, "total_s": 6.3, "tokens_per_s": 71.4, "tokens_estimated": False, "prompt_tokens": 1834,
    "completion_tokens": 412, "cached_tokens": 1024, "cost": "0.000731", "finish_reason": "stop",
    "request_id": "req_0123456789abcdef",
}  # fmt: skip


def build(path: Path, turns: int) -> int:
    with HistoryStore(path) as store:
        cid = store.create_conversation(model="bench/model", system_prompt="You are helpful.")
        for turn in range(turns):
            store.add_message(cid, "user", f"{turn}: {QUESTION}")
            mid = store.begin_assistant_message(cid, model="bench/model")
            store.finish_message(
                mid,
                MessageStatus.COMPLETE,
                metrics=METRICS,
                content=ANSWER,
                reasoning="Thinking it over. " * 20,
            )
        return cid


def measure(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    action()  # warm the page cache and statement cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.turns, args.repeat = 5, 2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        cid = build(path, args.turns)

        baseline = sqlite3.connect(path)
        bare = measure(
            lambda: baseline.execute(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY position", (cid,)
            ).fetchall(),
            args.repeat,
        )
        baseline.close()

        with HistoryStore(path) as store:
            open_start = time.perf_counter()
            HistoryStore(path).close()
            open_s = time.perf_counter() - open_start
            loaded = measure(lambda: store.load_conversation(cid), args.repeat)
            messages = len(store.load_conversation(cid).messages)

    print(f"{args.turns} turns ({messages} messages), {args.repeat} runs each")
    print(f"{'':34}{'median ms':>11}{'p95 ms':>9}{'ratio':>8}")
    print(f"{'bare sqlite3 SELECT (baseline)':34}{bare[0] * 1e3:11.2f}{bare[1] * 1e3:9.2f}{1:8.2f}")
    print(
        f"{'HistoryStore.load_conversation':34}{loaded[0] * 1e3:11.2f}{loaded[1] * 1e3:9.2f}"
        f"{loaded[0] / bare[0]:8.2f}"
    )
    print(f"{'HistoryStore open (schema check)':34}{open_s * 1e3:11.2f}")
    write_figures(
        args,
        [
            Figure(
                f"load a {args.turns}-turn conversation from history",
                loaded[0] * 1e3,
                "ms",
                baseline=bare[0] * 1e3,
                baseline_name="bare sqlite3 SELECT",
                goal="< 100 ms",
            )
        ],
    )


if __name__ == "__main__":
    main()
