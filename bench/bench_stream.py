"""Stream answers at 500 tokens/s from the emulator into the chat screen (headless) and measure how
responsive the app stays, against a plain Textual `MarkdownStream` app fed the same deltas.

    .venv/bin/python bench/bench_stream.py [--turns 1] [--tiny] [--json FILE]

Event-loop lag: a task asks to wake every 5 ms and records how late it is, while answers stream.
Final render: from the stream's end (its last token) to the answer fully rendered as Markdown (the
history write that follows runs in a thread and is not part of it). Several turns (`--turns 3`)
run one after the other in one conversation, each sent once the previous one is saved.
Targets: lag p95 <= 30 ms, p99 <= 60 ms, final render <= 100 ms. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Markdown

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

PROMPTS = ["Explain caching in detail", "Compare three sorting algorithms", "Describe a deployment checklist"]
MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
TICK = 0.005


class LagProbe:
    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            self.samples.append(time.perf_counter() - start - TICK)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


async def chat_screen_run(emulator, turns: int) -> tuple[list[float], list[float]]:
    from tm_tui.app import TmApp
    from tm_tui.screens import chat_stream
    from tm_tui.screens.chat import ChatScreen
    from tm_tui.state import LaunchOptions

    ended_at: dict[int, float] = {}
    rendered_at: dict[int, float] = {}
    turns_seen: list[object] = []  # keeps every turn alive, so no two share an id()
    original_init, original_handler = chat_stream.TurnEnded.__init__, ChatScreen.on_turn_ended

    def stamped(self, turn, *args, **kwargs):  # the stream just ended: its last token is in
        turns_seen.append(turn)
        ended_at[id(turn)] = time.perf_counter()
        original_init(self, turn, *args, **kwargs)

    async def finished(self, message):  # returns once the final Markdown is mounted
        await original_handler(self, message)
        rendered_at[id(message.turn)] = time.perf_counter()

    chat_stream.TurnEnded.__init__ = stamped
    ChatScreen.on_turn_ended = finished
    probe = LagProbe()
    app = TmApp(LaunchOptions(model=MODEL), env={**os.environ, **emulator.sdk_env()})
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        while app.session is None or not isinstance(app.screen, ChatScreen) or app.screen.chat is None:
            await pilot.pause(0.05)
        screen = app.screen
        probe.start()
        for index in range(turns):
            screen.query_one("#prompt").replace_text(PROMPTS[index % len(PROMPTS)])
            screen.query_one("#prompt").focus()
            await pilot.press("enter")  # may return only once the answer is over: do not look for the turn
            while len(rendered_at) <= index or screen.turn is not None:  # rendered, then saved
                await asyncio.sleep(0.005)
        probe.stop()
        await pilot.press("ctrl+q")
    chat_stream.TurnEnded.__init__, ChatScreen.on_turn_ended = original_init, original_handler
    renders = [rendered_at[key] - ended_at[key] for key in rendered_at]
    return probe.samples, renders


class Baseline(App[None]):
    def compose(self) -> ComposeResult:
        yield Markdown()


async def baseline_run(emulator, turns: int) -> tuple[list[float], list[float]]:
    import httpx

    from tm_tui.api.inference import make_inference_client
    from tm_tui.api.models.inference import ChatCompletionRequest
    from tm_tui.api.streaming import TextDelta

    probe = LagProbe()
    renders: list[float] = []
    app = Baseline()
    async with app.run_test(headless=True, size=(120, 40)) as pilot, httpx.AsyncClient() as http:
        client = make_inference_client(http, emulator.serverless_base_url, emulator.inference_api_key)
        probe.start()
        for index in range(turns):
            markdown = app.query_one(Markdown)
            await markdown.update("")
            stream = Markdown.get_stream(markdown)
            messages = [{"role": "user", "content": PROMPTS[index % len(PROMPTS)]}]
            async with client.stream_chat(ChatCompletionRequest(model=MODEL, messages=messages)) as deltas:
                async for event in deltas:
                    if isinstance(event, TextDelta):
                        await stream.write(event.text)
            last = time.perf_counter()
            await stream.stop()
            await pilot.pause()
            renders.append(time.perf_counter() - last)
        probe.stop()
    return probe.samples, renders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.turns = 1
    from tm_tui.emulator.server import run_emulator
    from tm_tui.emulator.state import EmulatorState, Pacing

    with tempfile.TemporaryDirectory() as tmp:
        for var in ("TM_TUI_DATA_DIR", "TM_TUI_CONFIG_DIR", "TM_CONFIG_HOME"):
            os.environ[var] = tmp
        with run_emulator(EmulatorState(pacing=Pacing(ttft_s=0.05, tokens_per_s=500))) as emulator:
            base_lag, base_render = asyncio.run(baseline_run(emulator, args.turns))
            chat_lag, chat_render = asyncio.run(chat_screen_run(emulator, args.turns))
    rows = [
        ("lag p95 ms", pct(base_lag, 95), pct(chat_lag, 95), 30),
        ("lag p99 ms", pct(base_lag, 99), pct(chat_lag, 99), 60),
        ("final render ms (max)", max(base_render) * 1000, max(chat_render) * 1000, 100),
        (
            "final render ms (median)",
            statistics.median(base_render) * 1000,
            statistics.median(chat_render) * 1000,
            100,
        ),
    ]
    print(
        f"{args.turns} answers streamed at 500 tok/s; lag samples: baseline {len(base_lag)}, chat {len(chat_lag)}"
    )
    print(f"{'':26}{'MarkdownStream':>15}{'chat screen':>13}{'ratio':>8}{'target':>8}  ")
    for name, base, chat, target in rows:
        verdict = "ok" if chat <= target else "MISSED"
        print(
            f"{name:26}{base:15.1f}{chat:13.1f}{chat / base if base else float('nan'):8.2f}{target:8}  {verdict}"
        )
    goals = {"lag p95 ms": "<= 1.25x", "lag p99 ms": "<= 1.25x", "final render ms (max)": "<= 100 ms"}
    figures = [
        Figure(f"streaming 500 tok/s, {name.replace(' ms', '')}", chat, "ms", base, "plain MarkdownStream", goal)
        for (name, base, chat, _), goal in ((row, goals.get(row[0], "")) for row in rows)
    ]
    write_figures(args, figures)


if __name__ == "__main__":
    main()
