"""Stream answers at 500 tokens/s from the emulator into the chat screen and into compare mode's three
panes (headless), and measure how responsive the app stays against plain Textual `MarkdownStream`
apps fed the same answers: one `MarkdownStream` for the chat, three in one app for compare.

    .venv/bin/python bench/bench_stream.py [--rounds 3] [--turns 2] [--tiny] [--json FILE]

Event-loop lag: a task asks to wake every 5 ms and records how late it is, while answers stream.
Final render: from a stream's end (its last token) to the answer fully rendered as Markdown (the
chat's history write that follows runs in a thread and is not part of it). Each round runs the four
apps one after the other (which goes first alternates), each streaming `--turns` answers in one
conversation; the lag samples of each app are pooled over the rounds, and p95/p99 are reported as
ratios to its baseline's, measured in the same run: absolute milliseconds move with the load of a
shared machine. Goals: p95 and p99 <= 1.25x the baseline, final render <= 100 ms. No network beyond
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

# Prompts the emulator answers at length (~1,000-1,600 characters of Markdown) for the chat's and
# compare's models alike.
PROMPTS = [
    "Explain how a load balancer works in detail",
    "Describe a deployment checklist",
    "Describe how to tune PostgreSQL for writes",
]
MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
TICK = 0.005


@dataclass
class Run:
    """What one app measured: event-loop lag samples, final render times, answer sizes (chars)."""

    lag: list[float] = field(default_factory=list)
    renders: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def extend(self, other: Run) -> None:
        self.lag += other.lag
        self.renders += other.renders
        self.sizes += other.sizes


class LagProbe:
    def __init__(self, samples: list[float]) -> None:
        self.samples = samples
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


# -- the app ------------------------------------------------------------------------------------------
class RenderClock:
    """Stamps each turn when its stream ends (`TurnEnded` is built) and when `screen_class`'s
    `on_turn_ended` has returned (the final Markdown is mounted)."""

    def __init__(self, screen_class: type) -> None:
        from tm_tui.screens import chat_stream

        self.ended_at: dict[int, float] = {}
        self.rendered_at: dict[int, float] = {}
        self.sizes: list[int] = []
        self._turns: list[object] = []  # keeps every turn alive, so no two share an id()
        self._patched = [
            (chat_stream.TurnEnded, "__init__", chat_stream.TurnEnded.__init__),
            (screen_class, "on_turn_ended", screen_class.on_turn_ended),
        ]
        (_, _, original_init), (_, _, original_handler) = self._patched
        clock = self

        def stamped(self, turn, *args, **kwargs):  # the stream just ended: its last token is in
            clock._turns.append(turn)
            clock.ended_at[id(turn)] = time.perf_counter()
            original_init(self, turn, *args, **kwargs)

        async def finished(self, message):
            await original_handler(self, message)
            clock.rendered_at[id(message.turn)] = time.perf_counter()
            clock.sizes.append(len(message.turn.content))

        chat_stream.TurnEnded.__init__ = stamped
        screen_class.on_turn_ended = finished

    def restore(self) -> None:
        for owner, name, original in self._patched:
            setattr(owner, name, original)

    def renders(self) -> list[float]:
        return [self.rendered_at[key] - self.ended_at[key] for key in self.rendered_at]


async def app_run(
    emulator,
    turns: int,
    panes: int,
    screen_class: type,
    open_screen: Callable,
    send: Callable,
    busy: Callable,
) -> Run:
    """Streams `turns` answers into each of `panes` in the real app: `open_screen(pilot)` gets the
    screen ready, `send` sends a prompt, `busy(screen)` is true until the answers are done with."""
    from tm_tui.app import TmApp
    from tm_tui.screens.chat import ChatScreen
    from tm_tui.state import LaunchOptions

    run = Run()
    probe = LagProbe(run.lag)
    clock = RenderClock(screen_class)
    app = TmApp(LaunchOptions(model=MODEL), env={**os.environ, **emulator.sdk_env()})
    try:
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            while app.session is None or not isinstance(app.screen, ChatScreen) or app.screen.chat is None:
                await pilot.pause(0.05)
            screen = await open_screen(pilot)
            probe.start()
            for index in range(turns):
                await send(pilot, screen, PROMPTS[index % len(PROMPTS)])  # may return once it is over
                while len(clock.rendered_at) < panes * (index + 1) or busy(screen):
                    await asyncio.sleep(0.005)
            probe.stop()
            await pilot.press("ctrl+q")
    finally:
        clock.restore()
    run.renders, run.sizes = clock.renders(), clock.sizes
    return run


async def chat_run(emulator, turns: int) -> Run:
    from tm_tui.screens.chat import ChatScreen

    async def open_screen(pilot):
        return pilot.app.screen

    async def send(pilot, screen, prompt: str) -> None:
        screen.query_one("#prompt").replace_text(prompt)
        screen.query_one("#prompt").focus()
        await pilot.press("enter")

    return await app_run(
        emulator, turns, 1, ChatScreen, open_screen, send, lambda screen: screen.turn is not None
    )


async def compare_run(emulator, turns: int, targets: list[tuple[str, str]]) -> Run:
    """Compare mode (ctrl+b from the chat) with its third pane switched on; `targets` gets the
    (surface, model) of each pane, for the baseline."""
    from textual.widgets import Select

    from tm_tui.screens.chat_compare import CompareScreen, TargetRow

    async def open_screen(pilot):
        await pilot.press("ctrl+b")
        while not isinstance(pilot.app.screen, CompareScreen):
            await pilot.pause(0.05)
        screen = pilot.app.screen
        rows = list(screen.query(TargetRow))
        while rows[0].target is None or rows[1].target is None:
            await pilot.pause(0.05)
        rows[2].query_one(".target-surface", Select).value = "serverless"
        while rows[2].target is None:
            await pilot.pause(0.05)
        targets[:] = [(row.target.surface, row.target.model) for row in rows]
        return screen

    async def send(pilot, screen, prompt: str) -> None:
        screen.query_one("#compare-prompt").replace_text(prompt)
        screen.query_one("#compare-prompt").focus()
        await pilot.press("enter")

    return await app_run(
        emulator, turns, 3, CompareScreen, open_screen, send, lambda screen: bool(screen.turns)
    )


# -- the baselines -----------------------------------------------------------------------------------
class Baseline(App[None]):
    """`panes` Markdown widgets side by side, each in a scrolling pane that follows the end of the
    text as it grows (`anchor()`), like the chat's conversation: without that the baseline would
    stop painting once its answer passes the bottom of the screen."""

    CSS = "VerticalScroll { width: 1fr; }"

    def __init__(self, panes: int) -> None:
        super().__init__()
        self.panes = panes

    def compose(self) -> ComposeResult:
        with Horizontal():
            for _ in range(self.panes):
                with VerticalScroll():
                    yield Markdown()

    def on_mount(self) -> None:
        for pane in self.query(VerticalScroll):
            pane.anchor()


async def baseline_run(emulator, turns: int, targets: list[tuple[str, str]]) -> Run:
    """One plain `MarkdownStream` per target, fed concurrently; each conversation goes on like the
    app's (the emulator's answer depends on every user message), so the answers are the same."""
    import httpx

    from tm_tui.api.inference import make_inference_client
    from tm_tui.api.models.inference import ChatCompletionRequest
    from tm_tui.api.streaming import TextDelta

    run = Run()
    probe = LagProbe(run.lag)
    app = Baseline(len(targets))
    async with app.run_test(headless=True, size=(120, 40)), httpx.AsyncClient() as http:
        clients = [
            make_inference_client(http, emulator.serverless_base_url, emulator.inference_api_key)
            if surface == "serverless"
            else make_inference_client(
                http,
                emulator.on_demand_base_url,
                emulator.inference_api_key,
                surface,
                emulator.on_demand_user_id,
            )
            for surface, _ in targets
        ]
        histories: list[list[dict[str, str]]] = [[] for _ in targets]

        async def stream_one(markdown: Markdown, client, model: str, history: list[dict[str, str]]) -> None:
            await markdown.update("")
            stream = Markdown.get_stream(markdown)
            text: list[str] = []
            async with client.stream_chat(ChatCompletionRequest(model=model, messages=history)) as deltas:
                async for event in deltas:
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                        await stream.write(event.text)
            last = time.perf_counter()
            await stream.stop()
            async with markdown.lock:  # the last fragment's append is over: its blocks are mounted
                pass
            run.renders.append(time.perf_counter() - last)
            run.sizes.append(len("".join(text)))
            history.append({"role": "assistant", "content": "".join(text)})

        probe.start()
        for index in range(turns):
            streams: list[Awaitable[None]] = []
            for markdown, client, (_, model), history in zip(
                app.query(Markdown), clients, targets, histories, strict=True
            ):
                history.append({"role": "user", "content": PROMPTS[index % len(PROMPTS)]})
                streams.append(stream_one(markdown, client, model, history))
            await asyncio.gather(*streams)
        probe.stop()
    return run


# -- report ------------------------------------------------------------------------------------------
def report(name: str, base: Run, app: Run, rounds: list[tuple[Run, Run]]) -> list[Figure]:
    per_round = "  ".join(
        f"{pct(a.lag, 95) / pct(b.lag, 95):.2f}/{pct(a.lag, 99) / pct(b.lag, 99):.2f}" for b, a in rounds
    )
    print(
        f"\n{name}: {len(app.renders)} answers ({statistics.median(app.sizes or [0]):.0f} chars median; "
        f"baseline {statistics.median(base.sizes or [0]):.0f}); lag samples: baseline {len(base.lag)}, "
        f"app {len(app.lag)}; p95/p99 ratio per round: {per_round}"
    )
    rows = [
        ("lag p95", pct(base.lag, 95), pct(app.lag, 95), "<= 1.25x"),
        ("lag p99", pct(base.lag, 99), pct(app.lag, 99), "<= 1.25x"),
        ("final render (max)", max(base.renders) * 1000, max(app.renders) * 1000, "<= 100 ms"),
        (
            "final render (median)",
            statistics.median(base.renders) * 1000,
            statistics.median(app.renders) * 1000,
            "",
        ),
    ]
    print(f"{'':24}{'baseline ms':>12}{'app ms':>9}{'ratio':>8}  goal")
    for figure, baseline, value, goal in rows:
        ratio = value / baseline if baseline else float("nan")
        met = ratio <= 1.25 if "x" in goal else value <= 100 if goal else True
        print(f"{figure:24}{baseline:12.1f}{value:9.1f}{ratio:8.2f}  {goal:10}{'' if met else 'MISSED'}")
    baseline_name = "plain MarkdownStream" if name == "chat" else "three plain MarkdownStreams"
    return [
        Figure(f"streaming 500 tok/s, {name}, {figure}", value, "ms", baseline, baseline_name, goal)
        for figure, baseline, value, goal in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (samples pooled)")
    parser.add_argument("--turns", type=int, default=2, help="answers per app per round")
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.rounds, args.turns = 1, 1
    from tm_tui.emulator.server import run_emulator
    from tm_tui.emulator.state import EmulatorState, Pacing

    chat_rounds: list[tuple[Run, Run]] = []
    compare_rounds: list[tuple[Run, Run]] = []
    targets: list[tuple[str, str]] = []
    pacing = Pacing(ttft_s=0.05, tokens_per_s=500)
    with tempfile.TemporaryDirectory() as tmp, run_emulator(EmulatorState(pacing=pacing)) as emulator:
        for round_index in range(args.rounds):
            for var in ("TM_TUI_DATA_DIR", "TM_TUI_CONFIG_DIR", "TM_CONFIG_HOME"):
                os.environ[var] = str(Path(tmp) / f"round-{round_index}")  # a new conversation
            runs: dict[str, Run] = {}
            jobs = {
                "chat": lambda: chat_run(emulator, args.turns),
                "base": lambda: baseline_run(emulator, args.turns, [("serverless", MODEL)]),
                "compare": lambda: compare_run(emulator, args.turns, targets),
                "base3": lambda: baseline_run(emulator, args.turns, targets),
            }
            # Who goes first alternates; compare runs before its baseline at first (its targets).
            order = (
                ["chat", "base", "compare", "base3"]
                if round_index % 2 == 0
                else ["base", "chat", "base3", "compare"]
            )
            for name in order:
                runs[name] = asyncio.run(jobs[name]())
            chat_rounds.append((runs["base"], runs["chat"]))
            compare_rounds.append((runs["base3"], runs["compare"]))
    print(f"{args.rounds} round(s) x {args.turns} answer(s) per app, streamed at 500 tok/s")
    figures: list[Figure] = []
    for name, rounds in (("chat", chat_rounds), ("compare x3", compare_rounds)):
        base, app = Run(), Run()
        for b, a in rounds:
            base.extend(b)
            app.extend(a)
        figures += report(name, base, app, rounds)
    print(f"compare targets: {targets}")
    write_figures(args, figures)


if __name__ == "__main__":
    main()
