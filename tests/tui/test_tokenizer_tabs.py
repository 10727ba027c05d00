"""Tokenizer tab keys: 1-5 as in every section once no field takes the keys (esc leaves one), and
alt+1-5 also while typing (terminals that send them; tmux does not)."""

from __future__ import annotations

from textual.widgets import TabbedContent, TextArea
from textual.widgets._tabbed_content import ContentTabs

from tm_tui.screens.tokenizer import TokenizerScreen

from .helpers import SIZE, open_section, settle

TABS = ("text", "chat", "detok", "compare", "prefix")


def active(screen: TokenizerScreen) -> str:
    return screen.query_one("#tok-tabs", TabbedContent).active.removeprefix("tab-")


async def test_esc_then_digits_choose_each_tab(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        screen = app.screen
        assert isinstance(screen, TokenizerScreen)
        text = screen.query_one("#tok-text", TextArea)
        assert screen.focused is text
        await pilot.press("h", "i", "2")  # in the field, a digit is text
        await settle(pilot)
        assert text.text.endswith("hi2") and active(screen) == "text"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(screen.focused, ContentTabs)
        for n, tab in reversed(list(enumerate(TABS, start=1))):  # 5, 4, … 1: every tab, from the strip
            await pilot.press(str(n))
            await settle(pilot)
            assert active(screen) == tab
        assert text.text.endswith("hi2")  # nothing typed meanwhile


async def test_alt_digits_choose_a_tab_while_typing(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        screen = app.screen
        assert isinstance(screen, TokenizerScreen)
        await pilot.press("alt+3")
        await settle(pilot)
        assert active(screen) == "detok"
        assert "3" not in screen.query_one("#tok-text", TextArea).text


async def test_tab_labels_show_their_keys(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "tokenizer")
        labels = [
            str(tab.label) for tab in app.screen.query_one("#tok-tabs ContentTabs", ContentTabs).query("Tab")
        ]
        assert labels == ["Text (1)", "Chat (2)", "Detokenize (3)", "Compare (4)", "Prefix (5)"]
