"""Navigation from everywhere: every ordered pair of sections, by F-key and by the palette, from a
section at rest, from under a modal, and while a chat answer streams.

Parametrised over `SECTIONS`, so a new section joins every walk by itself. A failure here is the class
of bug where going back to a section (Chat, the default mode) killed the app.
"""

from __future__ import annotations

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import ModalScreen

from tm_tui.app import TmApp
from tm_tui.screens.chat import ChatScreen
from tm_tui.screens.sections import SECTIONS, Section, SectionScreen

from .chat_helpers import PLAIN_MODEL, reasoning_script
from .helpers import SIZE, settle, wait_until

WAYS = ("key", "palette")


def others(source: Section) -> list[Section]:
    return [s for s in SECTIONS if s != source]


async def go(pilot: Pilot, target: Section, way: str) -> None:
    """Open `target` as a user would: its F-key, or "Open <title>" in the command palette."""
    if way == "key":
        await pilot.press(target.key)
        return
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    palette = pilot.app.screen
    palette.query_one(CommandInput).value = f"Open {target.title}"  # as typed, in one go
    # The best hit comes first once the search for the typed text has run.
    await wait_until(pilot, lambda: _first_hit(palette) == f"Open {target.title}")
    await pilot.press("enter")


def _first_hit(palette) -> str | None:
    options = palette.query_one(CommandList)
    if options.option_count == 0:
        return None
    prompt = options.get_option_at_index(0).prompt
    return getattr(prompt, "plain", str(prompt)).split("\n")[0]


def assert_shows(app: TmApp, target: Section) -> None:
    assert app.is_running, "the app exited"
    assert app.current_section == target.id
    assert isinstance(app.screen_stack[0], target.load())
    assert isinstance(app.screen, target.load()), f"{target.title} is not on top: {app.screen!r}"


async def arrived(pilot: Pilot, target: Section) -> None:
    """Wait until the move is made (or the app died), then check it: alive, `target` on top."""
    app = pilot.app
    await wait_until(pilot, lambda: not app.is_running or isinstance(app.screen, target.load()))
    await pilot.pause()
    assert_shows(app, target)


async def open_modal(pilot: Pilot) -> None:
    """A modal over the current section: history on Chat (ctrl+o), help (F1) elsewhere."""
    app = pilot.app
    await pilot.press("ctrl+o" if isinstance(app.screen, ChatScreen) else "f1")
    await wait_until(pilot, lambda: isinstance(app.screen, ModalScreen))


async def close_modals(pilot: Pilot) -> None:
    """Back to the section itself (a modal left open on its stack, e.g. by the previous move)."""
    app = pilot.app
    while not isinstance(app.screen, SectionScreen):
        app.pop_screen()
        await pilot.pause()


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("source", SECTIONS, ids=[s.id for s in SECTIONS])
async def test_every_section_is_reached_from_this_one_at_rest_and_under_a_modal(
    emulator_env, make_app, source, way
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for target in others(source):
            for modal in (False, True):
                await app.run_action(f"open_section('{source.id}')")
                await close_modals(pilot)
                await arrived(pilot, source)
                if modal:
                    await open_modal(pilot)
                await go(pilot, target, way)
                await arrived(pilot, target)


def round_trip() -> list[Section]:
    """A walk that makes every ordered pair of sections exactly once (an Eulerian circuit of the
    complete directed graph), starting and ending on the first section."""
    unused = {s.id: others(s) for s in SECTIONS}
    walk, stack = [], [SECTIONS[0]]
    while stack:  # Hierholzer's algorithm
        here = stack[-1]
        if unused[here.id]:
            stack.append(unused[here.id].pop(0))
        else:
            walk.append(stack.pop())
    return walk[::-1]


def test_the_round_trip_makes_every_ordered_pair():
    walk = round_trip()
    pairs = list(zip(walk, walk[1:], strict=False))
    assert len(pairs) == len(set(pairs)) == len(SECTIONS) * (len(SECTIONS) - 1)


@pytest.mark.parametrize("way", WAYS)
async def test_every_pair_while_an_answer_streams(emulator_env, make_app, monkeypatch, way):
    app = make_app(model=PLAIN_MODEL)
    script = reasoning_script(hold_after=3)  # the answer streams until the walk is over
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        script.install(monkeypatch, app.session.inference())
        await app.run_action(f"open_section('{SECTIONS[0].id}')")
        chat.query_one("#prompt").replace_text("Say hello")
        chat.query_one("#prompt").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: script.sent == 3 and chat.turn is not None)
        await wait_until(pilot, lambda: isinstance(app.screen_stack[0], SECTIONS[0].load()))
        walk = round_trip()
        for target in walk[1:]:
            await go(pilot, target, way)
            await arrived(pilot, target)
            assert chat.turn is not None  # still streaming, in the background
        script.release()
        await settle(pilot)
        assert chat.turn is None and chat.chat.messages[-1].content.startswith("Hello!")
