"""Chat fixes found by using the app (issue #8): acting on one answer, a conversation deleted while open,
invalid parameters at send time, ctrl+n while streaming, keys as a terminal delivers them, the toolbar
following the session's model, and why the model list is empty."""

from __future__ import annotations

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.command import CommandInput, CommandPalette
from textual.widgets import Select

from tm_tui.screens.chat_history import HistoryBrowser
from tm_tui.session import SessionChange
from tm_tui.widgets.chat_message import MessageView, UserMessage
from tm_tui.widgets.chat_toolbar import ChatToolbar
from tm_tui.widgets.conversation_view import EARLIER_PAGE, PAGE_STEP, RENDERED_TAIL, SLICE, ConversationView
from tm_tui.widgets.params_panel import ParamsPanel
from tm_tui.widgets.prompt_input import PromptInput

from .chat_helpers import PLAIN_MODEL, answers, open_chat, reasoning_script, rows, send, user_texts
from .helpers import SIZE, notifications, open_section, settle, wait_until


def terminal_keys(data: str) -> list[events.Key]:
    """The key events Textual makes of the bytes a terminal (here: tmux) sends."""
    parser = XTermParser()
    return [e for e in [*parser.feed(data), *parser.feed("")] if isinstance(e, events.Key)]


async def type_as_terminal(pilot, data: str) -> None:
    for key in terminal_keys(data):
        key.set_sender(pilot.app)
        pilot.app._driver.send_message(key)
        await pilot.pause()


@pytest.mark.parametrize("then", ["enter", "ctrl+r"])
async def test_the_open_conversation_deleted_in_history_goes_on_working(emulator_env, make_app, then):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        await pilot.press("escape", "ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, HistoryBrowser)
        await pilot.press("ctrl+d", "ctrl+d")  # deletes the open conversation; it stays on screen
        await settle(pilot)
        assert not screen.store.list_conversations()
        await pilot.press("escape")
        if then == "enter":
            await send(pilot, "second question")
        else:
            await pilot.press("ctrl+r")
            await settle(pilot)
        assert app.is_running and app.screen is screen
        expected = ["first question", "second question"] if then == "enter" else ["first question"]
        assert user_texts(screen) == expected
        assert [r["role"] for r in rows(app)] == ["user", "assistant"] * len(expected)  # saved anew
        assert [s.id for s in screen.store.list_conversations()] == [screen.chat.conversation_id]
        screen.query(UserMessage).first().focus()  # the shown messages carry the new ids
        await pilot.press("d")
        await settle(pilot)
        assert len(rows(app)) == 2 * (len(expected) - 1)


async def test_r_on_an_older_answer_regenerates_that_answer_after_asking(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        await send(pilot, "second question")
        answers(screen)[0].focus()
        await pilot.press("r")
        await settle(pilot)
        assert len(rows(app)) == 4  # nothing removed yet: it asks first
        assert any("later messages will be removed" in message for _, message, _ in notifications(app))
        await pilot.press("r")
        await settle(pilot)
        stored = rows(app)
        assert [(r["role"], r["status"]) for r in stored] == [("user", "complete"), ("assistant", "complete")]
        assert stored[0]["content"] == "first question" and stored[1]["content"]
        assert user_texts(screen) == ["first question"] and len(answers(screen)) == 1


async def test_r_on_the_last_answer_regenerates_at_once(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        await send(pilot, "second question")
        answers(screen)[-1].focus()
        await pilot.press("r")
        await settle(pilot)
        assert [r["role"] for r in rows(app)] == ["user", "assistant"] * 2
        assert user_texts(screen) == ["first question", "second question"]


async def test_d_on_an_answer_deletes_its_whole_turn(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        await send(pilot, "second question")
        answers(screen)[0].focus()
        await pilot.press("d")
        await settle(pilot)
        assert [(r["role"], r["content"]) for r in rows(app)][:1] == [("user", "second question")]
        assert user_texts(screen) == ["second question"]
        await send(pilot, "third question")
        body = screen.last_request.body["messages"]
        assert [m["role"] for m in body] == ["user", "assistant", "user"]  # never two prompts in a row


async def test_invalid_parameters_refuse_to_send_and_name_the_fields(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+t")
        panel = screen.query_one(ParamsPanel)
        panel.query_one("#param-temperature").value = "9"
        panel.query_one("#param-max_tokens").value = "-1"
        await settle(pilot)
        await send(pilot, "hello")
        assert screen.chat.conversation_id is None and not answers(screen)  # nothing sent or saved
        assert screen.query_one(PromptInput).text == "hello"  # the draft is kept
        title, message, severity = notifications(app)[-1]
        assert (title, severity) == ("Not sent", "error")
        assert "Temperature" in message and "Max tokens" in message
        panel.query_one("#param-temperature").value = "0.5"
        panel.query_one("#param-max_tokens").value = "32"
        await settle(pilot)
        await send(pilot, "hello")
        assert screen.last_request.body["temperature"] == 0.5 and screen.last_request.body["max_tokens"] == 32


async def test_ctrl_n_while_streaming_stops_and_starts_a_new_conversation(
    emulator_env, make_app, monkeypatch
):
    app = make_app(model=PLAIN_MODEL)
    script = reasoning_script(hold_after=3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        script.install(monkeypatch, app.session.inference())
        await send(pilot, "Say hello", wait=False)
        await wait_until(pilot, lambda: script.sent == 3 and screen.turn is not None)
        first = screen.chat.conversation_id
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen.turn is None
        assert screen.chat.conversation_id is None and not answers(screen)  # a new conversation
        stopped = screen.store.load_conversation(first).messages[-1]
        assert (stopped.status.value, stopped.content) == ("stopped", "Hello! ")


async def test_terminal_alt_m_cycles_the_mode_and_ctrl_j_adds_a_line(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        prompt = screen.query_one(PromptInput)
        prompt.focus()
        await type_as_terminal(pilot, "a\nb")  # ctrl+j is a line feed on the wire
        assert prompt.text == "a\nb"
        await type_as_terminal(pilot, "\x1bm")  # alt+m as tmux sends it: ESC m
        assert prompt.text == "a\nb"  # no stray "m"
        assert screen.query_one("#chat-mode", Select).value == "completion"


async def test_help_lists_each_binding_once(emulator_env, make_app):
    from tm_tui.screens.help import HelpScreen

    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot)
        await pilot.press("f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        ids = [row[2] for row in help_screen.screen_rows]
        assert ids.count("chat.newline") == 1 and len(ids) == len(set(ids))


async def test_the_toolbar_follows_the_sessions_model(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("f3")  # Models, where `m` sets a model by hand
        await settle(pilot)
        await app.change_session(SessionChange(model="gateway/typed-by-hand"))  # what Models' `m` asks
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert screen.query_one("#chat-model", Select).value == "gateway/typed-by-hand"
        await send(pilot, "hello")
        assert screen.last_request.body["model"] == "gateway/typed-by-hand"
        assert app.session.model("serverless") == "gateway/typed-by-hand"


async def test_an_unreachable_surface_says_why_the_model_list_is_empty(emulator_env, make_app, monkeypatch):
    monkeypatch.setenv("TENSORMESH_SERVERLESS_BASE_URL", "http://127.0.0.1:9")  # nothing listens
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        note = screen.query_one("#chat-model-note")
        assert note.display
        assert "No models" in str(note.render()) and "127.0.0.1:9" in str(note.render())


async def test_the_narrow_footer_leaves_no_column_to_the_keys_behind_it(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot)
        await pilot.resize_terminal(90, 30)  # below 100 columns: the compact footer
        await settle(pilot)
        palette_key = app.screen.query_one("FooterKey.-command-palette")
        assert palette_key.region.right == 90  # the last column is the palette key's, not a leftover


async def test_the_palette_screenshot_goes_to_the_data_dir(emulator_env, make_app, isolated_dirs):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(pilot)
        assert not (isolated_dirs["HOME"] / "Downloads").exists()
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(CommandInput).value = "Screenshot"
        await pilot.pause(0.2)
        await pilot.press("enter")
        folder = isolated_dirs["TM_TUI_DATA_DIR"] / "screenshots"
        await wait_until(pilot, lambda: folder.is_dir() and any(folder.glob("*.svg")))
        [saved] = folder.glob("*.svg")
        assert "<svg" in saved.read_text()
        assert any(
            title == "Screenshot" and str(saved) in message for title, message, _ in notifications(app)
        )


async def test_regenerating_uses_the_model_chosen_since(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        other = next(n for n in screen.query_one(ChatToolbar).model_names if n != PLAIN_MODEL)
        screen.query_one("#chat-model", Select).value = other  # the toolbar, as a user picks
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.last_request.body["model"] == other
        assert rows(app)[-1]["status"] == "complete"


def visible(screen, text: str) -> bool:
    """Whether the user message `text` is mounted and inside the conversation's viewport."""
    scroll = screen.query_one("#conversation")
    for widget in screen.query(UserMessage):
        if widget.text == text:
            top = widget.virtual_region.y - scroll.scroll_y
            return 0 <= top < scroll.size.height
    return False


def stored_conversation(screen, turns: int) -> int:
    store = screen.store
    conversation = store.create_conversation(model=PLAIN_MODEL, surface="serverless")
    for index in range(turns):
        store.add_message(conversation, "user", f"question {index}")
        store.add_message(conversation, "assistant", f"answer **{index}**", model=PLAIN_MODEL)
    return conversation


async def long_conversation(pilot, turns: int = 200):
    screen = await open_chat(pilot)
    await screen._resume(stored_conversation(screen, turns))
    await settle(pilot)
    return screen


async def test_a_200_turn_conversation_opens_from_history_and_scrolls_to_the_top_from_the_prompt(
    emulator_env, make_app
):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        stored_conversation(screen, 200)
        await pilot.press("ctrl+o")  # the history browser, its newest conversation highlighted
        await settle(pilot)
        assert isinstance(app.screen, HistoryBrowser)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and len(screen.chat.messages) == 400
        assert screen.query_one(PromptInput).has_focus
        assert visible(screen, "question 199") and not visible(screen, "question 0")
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert visible(screen, "question 0") and screen.query_one(PromptInput).has_focus
        await pilot.press("ctrl+down")  # a page down: later messages come into view
        await settle(pilot)
        assert not visible(screen, "question 0")
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert visible(screen, "question 199")


async def test_a_long_conversation_comes_in_a_slice_at_a_time_with_the_view_still(
    emulator_env, make_app, monkeypatch
):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        conversation = stored_conversation(screen, 200)
        view = screen.query_one(ConversationView)
        mounts: list[list[bool]] = []  # each mount of messages: whether each one shows at once
        mount_all = view.mount_all

        def recording(widgets, **where):
            mounts.append([w.display for w in widgets if isinstance(w, MessageView)])
            return mount_all(widgets, **where)

        monkeypatch.setattr(view, "mount_all", recording)
        # Opening: the newest turn is the first step; the rest of the tail comes after, in slices.
        await screen._resume(conversation)
        assert user_texts(screen) == ["question 199"] and view.busy
        assert mounts == [[True] * SLICE]
        await settle(pilot)
        assert not view.busy and len(view.messages) == RENDERED_TAIL and all(m.display for m in view.messages)
        assert user_texts(screen) == [f"question {i}" for i in range(197, 200)]
        assert mounts[1:] == [[False] * SLICE] * ((RENDERED_TAIL - SLICE) // SLICE)

        # A page back: `EARLIER_PAGE` messages, `PAGE_STEP` per step, hidden until all are in, and the
        # message that was first stays where it was on screen.
        scroll = screen.query_one("#conversation")
        first = view.messages[0]
        top = first.virtual_region.y - scroll.scroll_y
        mounts.clear()
        await view.load_earlier()
        await settle(pilot)
        assert mounts == [[False] * PAGE_STEP] * (EARLIER_PAGE // PAGE_STEP)
        assert len(view.messages) == RENDERED_TAIL + EARLIER_PAGE and all(m.display for m in view.messages)
        assert first.virtual_region.y - scroll.scroll_y == top
        assert user_texts(screen)[0] == "question 187"


async def test_the_conversation_still_scrolls_after_support_was_shown(emulator_env, make_app):
    """Screen stylesheets are global: Support's own #conversation rule must not reach the chat's."""
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await long_conversation(pilot, turns=20)
        await open_section(pilot, "support")
        await open_section(pilot, "chat")
        scroll = screen.query_one(ConversationView)
        assert scroll.size.height == screen.query_one("#chat-main").size.height
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert visible(screen, "question 19")


async def test_page_up_on_a_focused_message_pages_in_to_the_top(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        # 40 turns: more than `MOUNTED_WINDOW` messages (so pages come in and go), quicker than 200.
        screen = await long_conversation(pilot, turns=40)
        await pilot.press("shift+tab")  # from the prompt to the last message
        assert screen.focused is not None and screen.focused.has_class("message")
        for _ in range(200):  # far more than needed: each press is a page, or a page of messages in
            if visible(screen, "question 0"):
                break
            await pilot.press("pageup")
            await pilot.pause()  # no worker here: paging in runs on the screen's own queue
        assert visible(screen, "question 0")
        await pilot.press("end")  # back to the last message at once
        await settle(pilot)
        assert visible(screen, "question 39") and screen.focused.has_class("message")
        await pilot.press("home")
        await settle(pilot)
        assert visible(screen, "question 0") and screen.focused.has_class("message")
