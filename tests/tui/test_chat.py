"""Chat section against the live emulator: streaming, reasoning, metrics and cost, history rows, stop,
edits, modes, parameters, prompt recall and untrusted output.

Shared helpers (`Script`, `send`, `rows`...) are in `chat_helpers.py`.
"""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import Collapsible, Markdown, Static

from tm_tui.chat.modes import Mode
from tm_tui.emulator.faults import HOSTILE_TEXT
from tm_tui.store.history import HistoryStore, MessageStatus
from tm_tui.widgets.chat_message import MessageView, UserMessage
from tm_tui.widgets.chat_toolbar import MODE_LABELS
from tm_tui.widgets.conversation_view import EARLIER_PAGE, MOUNTED_WINDOW, RENDERED_TAIL
from tm_tui.widgets.metrics_bar import MetricsLine
from tm_tui.widgets.params_panel import ParamsPanel
from tm_tui.widgets.prompt_input import PromptInput
from tm_tui.widgets.stream_view import StreamView

from .chat_helpers import (
    PLAIN_MODEL,
    REASONING_MODEL,
    answers,
    open_chat,
    reasoning_script,
    rows,
    send,
    shown,
    user_texts,
)
from .helpers import SIZE, settle, wait_until

# --- streaming, metrics, history ---------------------------------------------------------------------


async def test_an_answer_streams_with_reasoning_and_is_saved_with_metrics_and_cost(emulator_env, make_app):
    app = make_app(model=REASONING_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Explain caching briefly")

        [user] = screen.query(UserMessage)
        assert user.text == "Explain caching briefly"
        [answer] = answers(screen)
        assert answer.status is MessageStatus.COMPLETE
        view = answer.query_one(StreamView)
        assert view.query(Markdown) and not view.query(".live-tail")  # one final Markdown render
        assert view.reasoning and view.query_one(Collapsible).display
        metrics = answer.query_one(MetricsLine).metrics
        assert metrics.has_usage and metrics.cost and metrics.cost > 0
        line = shown(answer.query_one(MetricsLine))
        for part in ("TTFT", "tok/s", "prompt /", "completion", "cached", "finish stop", metrics.request_id):
            assert part in line

        user_row, answer_row = rows(app)
        assert (user_row["role"], user_row["status"]) == ("user", "complete")
        assert answer_row["status"] == "complete" and answer_row["content"] == view.content
        assert answer_row["reasoning"] == view.reasoning
        assert answer_row["metrics"]["request_id"] == metrics.request_id
        assert answer_row["metrics"]["cost"] == str(metrics.cost)
        totals = shown(screen.query_one("#chat-totals"))
        assert "1 answer" in totals and "cost $" in totals


async def test_request_asks_for_usage_and_the_last_request_is_recorded(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "hi")
        body = screen.last_request.body
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert body["messages"][-1] == {"role": "user", "content": "hi"}
        assert screen.last_request.route == "/v1/chat/completions"


async def test_the_user_message_is_saved_before_the_answer_and_partials_survive_a_crash(
    emulator_env, make_app, monkeypatch
):
    app = make_app(model=REASONING_MODEL)
    script = reasoning_script(hold_after=3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        script.install(monkeypatch, app.session.inference())
        await send(pilot, "Say hello", wait=False)
        await wait_until(pilot, lambda: script.sent == 3 and rows(app)[-1]["content"] == "Hello! ")

        user_row, answer_row = rows(app)
        assert user_row["content"] == "Say hello"
        assert answer_row["status"] == "streaming"
        assert answer_row["reasoning"] == "The user wants a greeting. Keep it short."
        # What a restart after a kill would find: the partial answer, marked interrupted.
        with HistoryStore(screen.store.path) as reopened:
            recovered = reopened.load_conversation(screen.chat.conversation_id).messages[-1]
        assert recovered.status is MessageStatus.INTERRUPTED and recovered.content == "Hello! "
        script.release()
        await settle(pilot)


async def test_escape_stops_the_stream_and_keeps_the_partial_answer_marked_stopped(
    emulator_env, make_app, monkeypatch
):
    app = make_app(model=REASONING_MODEL)
    script = reasoning_script(hold_after=3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        script.install(monkeypatch, app.session.inference())
        await send(pilot, "Say hello", wait=False)
        await wait_until(pilot, lambda: script.sent == 3 and screen.turn is not None and screen.turn.content)
        await pilot.press("escape")
        await settle(pilot)

        assert screen.turn is None
        [answer] = answers(screen)
        assert answer.status is MessageStatus.STOPPED and "stopped" in shown(
            answer.query_one(".message-header")
        )
        assert answer.query_one(StreamView).content == "Hello! "
        stored = rows(app)[-1]
        assert (stored["status"], stored["content"]) == ("stopped", "Hello! ")
        assert "usage unavailable" in shown(answer.query_one(MetricsLine))  # never invented


async def test_escape_while_waiting_for_the_server_abandons_the_request(emulator_env, make_app):
    emulator_env.state.faults.add("first_byte=30@serverless:/v1/chat/completions#times=1")
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "anyone there?", wait=False)
        await wait_until(pilot, lambda: screen.turn is not None and screen.turn.worker is not None)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.turn is None
        assert rows(app)[-1]["status"] == "stopped"


async def test_retry_edit_delete_and_new_conversation(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "first question")
        await send(pilot, "second question")
        assert [r["role"] for r in rows(app)] == ["user", "assistant", "user", "assistant"]
        first_id = screen.chat.conversation_id

        await pilot.press("ctrl+r")  # regenerate the last answer
        await settle(pilot)
        assert [r["role"] for r in rows(app)] == ["user", "assistant", "user", "assistant"]
        assert rows(app)[-1]["status"] == "complete"

        screen.query(UserMessage).first().focus()  # edit the first question and resend from there
        await pilot.press("e")
        assert screen.query_one(PromptInput).text == "first question"
        screen.query_one(PromptInput).replace_text("edited question")
        await pilot.press("enter")
        await settle(pilot)
        stored = rows(app)
        assert [(r["role"], r["content"]) for r in stored][:1] == [("user", "edited question")]
        assert len(stored) == 2 and stored[1]["status"] == "complete"

        screen.query(UserMessage).first().focus()
        await pilot.press("d")  # delete the turn: the question and its answer
        await settle(pilot)
        assert rows(app) == [] and not screen.query(UserMessage)

        await send(pilot, "kept")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen.chat.conversation_id is None and not answers(screen)
        assert any(s.id == first_id for s in screen.store.list_conversations())


async def test_untrusted_markup_and_escapes_are_shown_as_text(emulator_env, make_app):
    emulator_env.state.faults.add("markup=2@serverless:/v1/chat/completions")
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "show me something")
        [answer] = answers(screen)
        content = rows(app)[-1]["content"]
        assert "\x1b" in content  # stored verbatim...
        rendered = "".join(
            str(block.render()) if not isinstance(block.render(), Text) else block.render().plain
            for block in answer.query_one(Markdown).query(Static)
        )
        assert "[bold red]ALERT[/bold red]" in rendered  # ...shown as literal text
        assert "[link=https://evil.example/]" in rendered
        assert "\x1b" not in rendered and "\x07" not in rendered
        assert HOSTILE_TEXT.strip() not in rendered  # the escape bytes were neutralised


# --- modes, parameters, prompt input -----------------------------------------------------------------


@pytest.mark.parametrize(("mode_presses", "route"), [(1, "/v1/completions"), (2, "/v1/responses")])
async def test_completions_and_responses_modes_stream(emulator_env, make_app, mode_presses, route):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        for _ in range(mode_presses):
            await pilot.press("alt+m")
        await settle(pilot)
        await send(pilot, "Once upon a time")
        assert screen.last_request.route == route
        [answer] = answers(screen)
        assert answer.status is MessageStatus.COMPLETE and answer.content
        stored = rows(app)[-1]
        assert stored["status"] == "complete" and stored["metrics"]["request_id"]


async def test_parameters_are_validated_per_field_and_sent(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+t")
        panel = screen.query_one(ParamsPanel)
        assert panel.display
        panel.query_one("#param-temperature").value = "7"
        panel.query_one("#param-max_tokens").value = "64"
        panel.query_one("#param-seed").value = "42"
        panel.query_one("#system-prompt").text = "Be terse."
        await settle(pilot)
        error = panel.query_one("#param-error-temperature", Static)
        assert error.display and "between 0 and 2" in shown(error)
        assert panel.query_one("#param-temperature").has_class("-invalid")

        await send(pilot, "hello")
        assert screen.last_request is None  # an invalid value is never left out silently
        panel.query_one("#param-temperature").value = ""  # blank: the server default applies
        await settle(pilot)
        await send(pilot, "hello")
        body = screen.last_request.body
        assert "temperature" not in body
        assert body["max_tokens"] == 64 and body["seed"] == 42
        assert body["messages"][0] == {"role": "system", "content": "Be terse."}


async def test_presets_are_saved_and_loaded_per_profile(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("ctrl+t")
        panel = screen.query_one(ParamsPanel)
        panel.query_one("#param-temperature").value = "0.2"
        panel.query_one("#param-top_p").value = "0.9"
        await settle(pilot)
        assert panel.save_preset("precise")
        panel.query_one("#param-temperature").value = ""
        panel.query_one("#param-top_p").value = ""
        await settle(pilot)
        panel.load_preset("precise")
        await settle(pilot)
        assert panel.raw_values()["temperature"] == "0.2" and panel.raw_values()["top_p"] == "0.9"
        assert panel.presets.names(app.session.profile_name) == ["precise"]


async def test_prompt_newline_keys_and_history_recall(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        prompt = screen.query_one(PromptInput)
        prompt.focus()
        await pilot.press("a", "ctrl+j", "b", "shift+enter", "c")
        assert prompt.text == "a\nb\nc"
        await pilot.press("enter")
        await settle(pilot)
        assert rows(app)[0]["content"] == "a\nb\nc"
        await send(pilot, "second")

        await pilot.press("d", "r", "a", "f", "t")
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "a\nb\nc"
        await pilot.press("up")  # inside a multi-line prompt, up moves the cursor
        assert prompt.text == "a\nb\nc" and prompt.cursor_location[0] == 1
        await pilot.press("down", "down")  # back on the last line, then newer
        assert prompt.text == "second"
        await pilot.press("down")
        assert prompt.text == "draft"


async def test_a_long_conversation_mounts_its_tail_then_earlier_pages_without_moving_the_view(
    emulator_env, make_app
):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        store = screen.store
        conversation = store.create_conversation(model=PLAIN_MODEL, surface="serverless")
        for index in range(60):
            store.add_message(conversation, "user", f"question {index}")
            store.add_message(conversation, "assistant", f"answer **{index}**", model=PLAIN_MODEL)
        await screen._resume(conversation)
        await settle(pilot)
        assert len(screen.query(".message")) == RENDERED_TAIL
        assert screen.query_one("#show-earlier").display
        screen.query_one("#show-earlier").focus()
        await pilot.press("enter")  # the button: one page
        await settle(pilot)
        assert len(screen.query(".message")) == RENDERED_TAIL + EARLIER_PAGE

        # Reaching the top brings the next page above, and the message that was first stays put.
        scroll = screen.query_one("#conversation")
        first = screen.query(MessageView).first()
        top = first.virtual_region.y  # where it is when the view is at the very top
        scroll.scroll_home(animate=False, immediate=True)
        await wait_until(pilot, lambda: len(screen.query(".message")) == RENDERED_TAIL + 2 * EARLIER_PAGE)
        await settle(pilot)
        assert scroll.scroll_y > 0 and first.virtual_region.y - scroll.scroll_y == top

        while screen.query_one("#show-earlier").display:
            screen.query_one("#show-earlier").focus()
            await pilot.press("enter")
            await settle(pilot)
        # Only a window stays mounted: the first messages, the last ones unmounted behind a button.
        assert len(screen.query(".message")) == MOUNTED_WINDOW
        assert user_texts(screen) == [f"question {index}" for index in range(MOUNTED_WINDOW // 2)]
        assert screen.query_one("#show-later").display

        # Reaching the bottom pages the later messages back in (the first ones go), the view still.
        last = screen.query(MessageView).last()
        bottom = last.virtual_region.y - scroll.max_scroll_y
        scroll.scroll_end(animate=False, immediate=True)
        await wait_until(pilot, lambda: user_texts(screen)[-1] == f"question {MOUNTED_WINDOW // 2 + 9}")
        await settle(pilot)
        assert len(screen.query(".message")) == MOUNTED_WINDOW and screen.query_one("#show-earlier").display
        assert last.virtual_region.y - scroll.scroll_y == bottom
        while screen.query_one("#show-later").display:
            screen.query_one("#show-later").focus()
            await pilot.press("enter")
            await settle(pilot)
        assert user_texts(screen) == [f"question {index}" for index in range(30, 60)]

        # Sending while reading far back shows the end of the conversation first.
        scroll.scroll_home(animate=False, immediate=True)
        await wait_until(pilot, lambda: screen.query_one("#show-later").display)
        await send(pilot, "one more")
        assert user_texts(screen)[-2:] == ["question 59", "one more"]
        assert not screen.query_one("#show-later").display


async def test_a_stored_answer_folds_its_reasoning_into_a_title_that_opens_it(emulator_env, make_app):
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        store = screen.store
        conversation = store.create_conversation(model=PLAIN_MODEL, surface="serverless")
        store.add_message(conversation, "user", "why?")
        answer_id = store.begin_assistant_message(conversation, model=PLAIN_MODEL)
        store.finish_message(
            answer_id, MessageStatus.COMPLETE, content="Because.", reasoning="Weighing it up."
        )
        await screen._resume(conversation)
        await settle(pilot)
        [answer] = answers(screen)
        view = answer.query_one(StreamView)
        assert not view.query(Collapsible) and shown(answer.query_one(Markdown)) == "Because."
        title = view.query_one(".reasoning-stub")
        title.focus()
        await pilot.press("enter")
        await settle(pilot)
        [box] = view.query(Collapsible)
        assert not box.collapsed and "Weighing it up." in shown(box) and not view.query(".reasoning-stub")


def test_mode_labels_follow_the_modes():
    assert set(MODE_LABELS) == {mode.value for mode in Mode}
