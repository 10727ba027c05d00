"""Compare: one prompt, two or three targets side by side, each streaming with its own metrics."""

from __future__ import annotations

from textual.widgets import Select

from tm_tui.screens.chat_compare import CompareScreen, TargetRow
from tm_tui.store.history import MessageStatus
from tm_tui.widgets.chat_message import AssistantMessage
from tm_tui.widgets.metrics_bar import MetricsLine

from .chat_helpers import PLAIN_MODEL, open_chat, reasoning_script, shown
from .helpers import SIZE, settle, shown_lines, wait_until


def panes(screen: CompareScreen) -> dict[int, AssistantMessage]:
    return {
        i: m for i in range(3) for m in screen.query(f"#pane-{i} AssistantMessage").results(AssistantMessage)
    }


async def open_compare(pilot, prompt: str) -> CompareScreen:
    chat = await open_chat(pilot)
    chat.query_one("#prompt").replace_text(prompt)
    await pilot.press("ctrl+b")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def test_two_surfaces_and_a_third_model_stream_side_by_side(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot, "Compare caching strategies")
        rows = list(screen.query(TargetRow))
        assert rows[0].target.surface == "serverless" and rows[0].target.model == PLAIN_MODEL
        assert rows[1].target.surface == "on_demand" and rows[1].target.model
        rows[2].query_one(".target-surface", Select).value = "serverless"  # switch the third pane on
        await settle(pilot)
        assert rows[2].target is not None and rows[2].target.model != PLAIN_MODEL  # another model

        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#compare-prompt").text == ""  # sent: the next prompt starts empty
        shown_panes = panes(screen)
        assert sorted(shown_panes) == [0, 1, 2]
        for index, pane in shown_panes.items():
            assert pane.status is MessageStatus.COMPLETE and pane.content, index
            header = pane.query_one(".message-header")
            on_screen = "".join(shown_lines(header)).replace(" ", "")  # wrapped, never cut
            assert rows[index].target.label.replace(" ", "") in on_screen, on_screen
            assert "TTFT" in shown(pane.query_one(MetricsLine))
        # Serverless answers are priced; on-demand has no per-token price: said, not guessed.
        assert "$" in shown(shown_panes[0].query_one(MetricsLine))
        assert "cost unknown" in shown(shown_panes[1].query_one(MetricsLine))


async def test_escape_stops_every_pane_then_closes(emulator_env, make_app, monkeypatch):
    app = make_app(model=PLAIN_MODEL)
    scripts = [reasoning_script(hold_after=3), reasoning_script(hold_after=3)]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot, "hello")
        scripts[0].install(monkeypatch, app.session.inference("serverless"))
        scripts[1].install(monkeypatch, app.session.inference("on_demand"))
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: all(s.sent == 3 for s in scripts) and all(t.content for t in screen.turns.values())
        )
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.turns
        for pane in panes(screen).values():
            assert pane.status is MessageStatus.STOPPED and pane.content == "Hello! "
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)


async def test_each_pane_follows_the_end_of_its_answer(emulator_env, make_app):
    """A long answer scrolls its pane with it, as the chat's conversation does."""
    from textual.containers import VerticalScroll

    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await open_compare(pilot, "Explain caching in detail")
        await pilot.press("enter")
        await settle(pilot)
        scrolls = [screen.query_one(f"#pane-{i}", VerticalScroll) for i in sorted(panes(screen))]
        assert any(scroll.max_scroll_y > 0 for scroll in scrolls)  # the answers are longer than a pane
        for scroll in scrolls:
            assert scroll.scroll_y == scroll.max_scroll_y, scroll.id
