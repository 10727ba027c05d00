"""How responsive the token view stays on a 100 KB text, against a plain Static holding the whole Text.

    .venv/bin/python bench/bench_tokenizer.py [--kb 100] [--moves 20] [--tiny] [--json FILE]

Both apps run headless (Textual's test driver, 120x40) on the same tokens (the emulator's tokenizer, no
network) and the same colours. Measured, wall clock: showing the result (layout + first frame), one
cursor move (key press → frame) and one page down. The baseline rebuilds and re-wraps the whole Text on
every cursor move, which is what a naive view does; the token view renders only the visible lines.
Prints the median of each and the ratio baseline / token view (higher = the token view is faster).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tm_tui.api.token_pieces import pieces_from_strs
from tm_tui.emulator.tokenizer import tokenizer_for
from tm_tui.tokens.spans import Layout, layout
from tm_tui.widgets.token_view import HUES, TokenView

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

SIZE = (120, 40)
LINE = "The quick brown fox jumps over the lazy dog 🦜 日本語, again and again.\n"


def make_layout(kb: int) -> Layout:
    text = LINE * (kb * 1024 // len(LINE.encode()) + 1)
    tok = tokenizer_for("bench/model", 1_000_000)
    ids = tok.encode(text)
    return layout(ids, pieces_from_strs(tok.token_strs(ids), text))


def whole_text(laid: Layout, cursor: int) -> Text:
    """The baseline's content: every token's span styled, the cursor's reversed."""
    text = Text(laid.text)
    for span in laid.spans:
        bg = HUES[span.id % len(HUES)][span.index % 2]
        style = Style(bgcolor=bg, color="#f0f0f0", reverse=span.index == cursor)
        text.stylize(style, span.start, span.end)
    return text


class BenchApp(App[None]):
    """One way of showing the tokens: `show` them, `move` the cursor, `page` down."""

    def __init__(self, laid: Layout) -> None:
        super().__init__()
        self.laid = laid

    def show(self) -> None:
        raise NotImplementedError

    async def move(self) -> None:
        raise NotImplementedError

    async def page(self) -> None:
        raise NotImplementedError


class ViewApp(BenchApp):
    def compose(self) -> ComposeResult:
        yield TokenView(id="view")

    def show(self) -> None:
        self.query_one(TokenView).show(self.laid)

    async def move(self) -> None:
        self.query_one(TokenView).action_move(1)

    async def page(self) -> None:
        self.query_one(TokenView).scroll_page_down(animate=False)


class StaticApp(BenchApp):
    def __init__(self, laid: Layout) -> None:
        super().__init__(laid)
        self.cursor = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="scroll"):
            yield Static(id="static", markup=False)

    def show(self) -> None:
        self.query_one(Static).update(whole_text(self.laid, self.cursor))

    async def move(self) -> None:
        self.cursor += 1
        self.show()

    async def page(self) -> None:
        self.query_one(VerticalScroll).scroll_page_down(animate=False)


async def measure(app_cls: type[BenchApp], laid: Layout, moves: int) -> dict[str, float]:
    app = app_cls(laid)
    async with app.run_test(size=SIZE) as pilot:

        async def timed(step: Callable[[], Awaitable[None] | None]) -> float:
            start = time.perf_counter()
            result = step()
            if result is not None:
                await result
            await pilot.pause()
            app.screen._refresh_layout()  # the frame's layout work, included in both
            return time.perf_counter() - start

        show = await timed(app.show)
        move = statistics.median([await timed(app.move) for _ in range(moves)])
        page = statistics.median([await timed(app.page) for _ in range(moves)])
    return {"show": show, "move": move, "page": page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--moves", type=int, default=20)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.kb, args.moves = 2, 2

    start = time.perf_counter()
    laid = make_layout(args.kb)
    layout_s = time.perf_counter() - start
    base = asyncio.run(measure(StaticApp, laid, args.moves))
    view = asyncio.run(measure(ViewApp, laid, args.moves))

    print(
        f"{args.kb} KB, {len(laid.text):,} characters, {len(laid.spans):,} tokens; layout {layout_s * 1e3:.0f} ms"
    )
    print(f"{'':28}{'Static (baseline) ms':>22}{'TokenView ms':>14}{'ratio':>8}")
    names = (("show", "show result"), ("move", "cursor move (median)"), ("page", "page down (median)"))
    for key, name in names:
        print(f"{name:28}{base[key] * 1e3:22.1f}{view[key] * 1e3:14.1f}{base[key] / view[key]:8.1f}")
    baseline_name = "a Static holding the whole styled Text"
    goals = {"move": "< 150 ms", "show": "", "page": ""}
    write_figures(
        args,
        [
            Figure(
                f"tokenizer {args.kb} KB: {name}",
                view[key] * 1e3,
                "ms",
                base[key] * 1e3,
                baseline_name,
                goals[key],
            )
            for key, name in names
        ],
    )


if __name__ == "__main__":
    main()
