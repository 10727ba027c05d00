"""The prompt sends exactly what was typed, even when keys arrive in one burst (paste, tmux, fast typing),
and the chat screen's prompt, mounted just after the first frame, ends up focused."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult

from tm_tui.widgets.prompt_input import PromptInput
from tm_tui.widgets.prompt_messages import PromptSubmitted

from .helpers import SIZE, settle


class PromptHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        yield PromptInput(id="prompt")

    def on_prompt_submitted(self, message: PromptSubmitted) -> None:
        self.sent.append(message.text)


async def test_enter_in_the_same_burst_as_the_text_sends_all_of_it():
    app = PromptHost()
    async with app.run_test() as pilot:
        app.query_one(PromptInput).focus()
        await pilot.pause()
        # As the terminal driver does: every key of one read is posted before any is handled.
        for char in "hi there":
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        assert app.sent == ["hi there"]


async def test_newline_keys_insert_a_line_instead_of_sending():
    app = PromptHost()
    async with app.run_test() as pilot:
        app.query_one(PromptInput).focus()
        await pilot.press("a", "ctrl+j", "b")
        assert app.query_one(PromptInput).text == "a\nb"
        assert app.sent == []
        await pilot.press("enter")
        assert app.sent == ["a\nb"]


async def test_chat_prompt_replaces_its_first_frame_stand_in_and_takes_focus(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.focused, PromptInput)
        assert app.focused.id == "prompt"
        assert not app.screen.query("#prompt-stub")
