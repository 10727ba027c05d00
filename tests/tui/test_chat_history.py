"""History browser (list, search as you type, open, rename, delete), export and "View code"."""

from __future__ import annotations

import json
from pathlib import Path

from tm_tui.chat.code_snippets import KEY_ENV
from tm_tui.screens.chat_export import ExportScreen, ViewCodeScreen
from tm_tui.screens.chat_history import HistoryBrowser
from tm_tui.widgets.chat_message import UserMessage

from .chat_helpers import PLAIN_MODEL, answers, open_chat, send, shown
from .helpers import SIZE, settle


async def test_browse_search_open_rename_and_delete(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "about penguins")
        penguins = screen.chat.conversation_id
        await pilot.press("ctrl+n")
        await send(pilot, "about volcanoes")

        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        assert isinstance(browser, HistoryBrowser)
        assert [s.title for s in browser.summaries] == ["about volcanoes", "about penguins"]

        await pilot.press(*"penguin")
        await settle(pilot)
        assert [s.id for s in browser.summaries] == [penguins]

        await pilot.press("ctrl+r")  # rename the highlighted one
        browser.query_one("#history-search").value = "Penguin facts"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.store.load_conversation(penguins).title == "Penguin facts"

        await pilot.press(*"facts", "enter")  # open (resume)
        await settle(pilot)
        assert app.screen is screen and screen.chat.conversation_id == penguins
        assert [w.text for w in screen.query(UserMessage)] == ["about penguins"]
        assert len(answers(screen)) == 1

        await send(pilot, "and their diet?")  # the resumed conversation goes on
        assert len(screen.store.load_conversation(penguins).messages) == 4

        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        await pilot.press("ctrl+d")
        assert browser.summaries[0].id == penguins and len(browser.summaries) == 2
        await pilot.press("ctrl+d")  # asked twice
        await settle(pilot)
        assert [s.title for s in browser.summaries] == ["about volcanoes"]
        await pilot.press("escape")
        assert app.screen is screen


async def test_export_markdown_and_json(emulator_env, make_app, isolated_dirs):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Export me")
        await pilot.press("ctrl+s")
        await settle(pilot)
        export = app.screen
        assert isinstance(export, ExportScreen)
        await pilot.press("enter")
        await settle(pilot)
        markdown_path = export.written
        assert markdown_path.parent == (isolated_dirs["TM_TUI_DATA_DIR"] / "exports").resolve()
        assert "Export me" in markdown_path.read_text() and str(markdown_path) in shown(
            export.query_one("#export-note")
        )

        export.query_one("#export-format").value = "json"
        await settle(pilot)
        assert export.query_one("#export-path").value.endswith(".json")
        target = Path(isolated_dirs["HOME"]) / "typed" / "chat.json"
        export.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        body = json.loads(target.read_text())
        assert body["model"] == PLAIN_MODEL
        assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
        assert body["messages"][1]["content"] == answers(screen)[0].content
        await pilot.press("escape")
        assert app.screen is screen


async def test_view_code_redacts_the_key_until_revealed_and_copies(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    copied: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        app.copy_to_clipboard = copied.append  # what OSC 52 would carry
        screen = await open_chat(pilot)
        await send(pilot, "Show code")
        await pilot.press("ctrl+g")
        await settle(pilot)
        code = app.screen
        assert isinstance(code, ViewCodeScreen)
        key = emulator_env.inference_api_key
        title, curl = code.current_code()
        assert title == "curl" and f"${KEY_ENV}" in curl and key not in curl
        assert '"Show code"' in curl and screen.last_request.url in curl

        await pilot.press("v")
        assert key in code.current_code()[1]
        await pilot.press("v")
        await pilot.press("c")
        assert copied and key not in copied[-1] and copied[-1] == code.current_code()[1]
        assert "Copied the curl snippet" in shown(code.query_one("#code-note"))
        await pilot.press("escape")
        assert app.screen is screen
