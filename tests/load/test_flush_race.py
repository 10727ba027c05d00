"""Found by the load bench: a flush timer tick still awaiting the Markdown when the answer finishes
(timer callbacks run apart from the screen's message handlers) must not crash on the live tail that
`finalize` removed meanwhile."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from tm_tui.widgets.stream_view import StreamView

pytestmark = pytest.mark.load


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamView()


async def test_a_flush_in_flight_when_the_answer_finishes():
    app = Host()
    async with app.run_test() as pilot:
        view = app.query_one(StreamView)
        await view.show_live("First paragraph.\n\n", "")
        markdown = view.query_one(".answer", Markdown)
        append, release = markdown.append, asyncio.Event()

        async def slow_first_append(text: str):  # the tick's append is slow; finalize's is not
            markdown.append = append
            await release.wait()
            return await append(text)

        markdown.append = slow_first_append
        view._appended_at = 0.0  # the next complete block is due for the Markdown at once
        text = "First paragraph.\n\nSecond paragraph.\n\ntail"
        flush = asyncio.create_task(view.show_live(text, ""))  # a timer tick, apart from finalize
        await asyncio.sleep(0)
        await view.finalize(text + " end.", "")
        release.set()
        await flush  # raised NoMatches('.live-tail') before
        await pilot.pause()
        assert view.final and not view.query(".live-tail")
