"""The chat's widgets outside the chat screen: each brings its own style (any screen that shows it
gets it), and the compare screen names the stylesheet of the answers it shows."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from tm_tui.screens.chat_compare import CompareScreen
from tm_tui.widgets import chat_message
from tm_tui.widgets.chat_toolbar import ChatToolbar, with_current
from tm_tui.widgets.conversation_view import ConversationView


class Bare(App[None]):
    """No screen of tm-tui's, so none of their stylesheets."""

    def compose(self) -> ComposeResult:
        yield ChatToolbar()
        yield ConversationView(list, empty_hint="nothing yet")


async def test_the_toolbar_and_the_conversation_bring_their_own_style():
    app = Bare()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        toolbar = app.query_one(ChatToolbar)
        assert toolbar.ready and toolbar.size.height == 1  # chat_toolbar.tcss: one line
        assert app.query_one("#chat-mode").size.width == 24
        assert app.query_one("#chat-empty").styles.padding.top == 1  # conversation_view.tcss


def test_compare_loads_the_stylesheet_of_its_answers():
    css = {Path(path).resolve() for path in CompareScreen.CSS_PATH}
    assert Path(chat_message.__file__).with_name("chat_message.tcss").resolve() in css


def test_a_model_chosen_elsewhere_stays_selectable():
    assert with_current(["a", "b"], "typed/model") == ["typed/model", "a", "b"]
    assert with_current(["a", "b"], "b") == ["a", "b"] and with_current(["a"], None) == ["a"]
