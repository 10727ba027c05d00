"""A stopped answer really closes its HTTP request: checked on the server side, where the emulator
counts every event stream as finished, disconnected by the client, or aborted.

Esc in the chat, ctrl+n mid-answer, Esc in compare (then closing it), and quitting the app each must
leave the server with no stream open and one client disconnect per stopped stream."""

from __future__ import annotations

import asyncio

import pytest

from tm_tui.screens.chat_compare import CompareScreen
from tm_tui.screens.models import ModelsScreen

from ..tui.chat_helpers import PLAIN_MODEL, open_chat, send
from ..tui.helpers import SIZE, settle, wait_until

pytestmark = [pytest.mark.load, pytest.mark.timeout(90)]


def streams(emulator):
    return emulator.state.streams.snapshot()


async def answer_arriving(pilot, emulator, count: int = 1) -> None:
    """Wait until `count` streams are open on the server and text has reached the screen's turn(s)."""
    await wait_until(pilot, lambda: streams(emulator).open == count, f"{count} open stream(s)")


async def test_esc_in_the_chat_closes_the_request(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Tell me a long story about caches.", wait=False)
        await answer_arriving(pilot, emulator_env)
        await wait_until(pilot, lambda: screen.turn is not None and screen.turn.content, "text")
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: streams(emulator_env).disconnected == 1, "the server to see the disconnect"
        )
        await settle(pilot)
        counts = streams(emulator_env)
        assert (counts.opened, counts.finished, counts.disconnected, counts.open) == (1, 0, 1, 0)
        assert screen.turn is None


async def test_new_conversation_mid_answer_closes_the_request(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Tell me a long story about caches.", wait=False)
        await answer_arriving(pilot, emulator_env)
        await pilot.press("ctrl+n")
        await wait_until(
            pilot, lambda: streams(emulator_env).disconnected == 1, "the server to see the disconnect"
        )
        await settle(pilot)
        assert streams(emulator_env).open == 0 and screen.turn is None


async def test_compare_esc_closes_every_pane_request(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot)
        chat.query_one("#prompt").replace_text("Compare two long stories")
        await pilot.press("ctrl+b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await pilot.press("enter")
        await answer_arriving(pilot, emulator_env, 2)
        await pilot.press("escape")  # stops both panes
        await wait_until(pilot, lambda: streams(emulator_env).disconnected == 2, "both disconnects")
        await settle(pilot)
        assert not screen.turns and streams(emulator_env).open == 0
        await pilot.press("escape")  # closes compare
        await settle(pilot)
        assert not isinstance(app.screen, CompareScreen)


async def test_leaving_compare_by_its_section_key_keeps_streams_then_quitting_closes_them(
    emulator_env, make_app
):
    """F3 while compare streams leaves them running (the chat section keeps its screens); quitting
    the app then closes every request."""
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        chat = await open_chat(pilot)
        chat.query_one("#prompt").replace_text("Compare two long stories")
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")
        await answer_arriving(pilot, emulator_env, 2)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), "Models")
        assert streams(emulator_env).open == 2 and streams(emulator_env).disconnected == 0
        await pilot.press("ctrl+q")
    for _ in range(500):  # the app is gone: poll the server's counts with the plain event loop
        if streams(emulator_env).disconnected == 2:
            break
        await asyncio.sleep(0.02)
    counts = streams(emulator_env)
    assert (counts.disconnected, counts.open) == (2, 0)


async def test_a_finished_answer_counts_as_finished(emulator_env, make_app):
    emulator_env.state.pacing.unthrottled = True
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot)
        await send(pilot, "hi")
        await wait_until(pilot, lambda: streams(emulator_env).finished == 1, "the finished stream")
        assert streams(emulator_env).open == 0 and streams(emulator_env).disconnected == 0


async def test_quitting_mid_answer_in_the_chat_closes_the_request(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot)
        await send(pilot, "Tell me a long story about caches.", wait=False)
        await answer_arriving(pilot, emulator_env)
        await pilot.press("ctrl+q")
    for _ in range(500):
        if streams(emulator_env).disconnected == 1:
            break
        await asyncio.sleep(0.02)
    assert (streams(emulator_env).disconnected, streams(emulator_env).open) == (1, 0)
