"""Each failure mode through the emulator's fault injection: the answer stays visible and marked, the
error is shown in place with what to do next, history holds the same, and ctrl+r retries."""

from __future__ import annotations

import pytest
from textual.widgets import Markdown

from tm_tui.store.history import MessageStatus
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.metrics_bar import MetricsLine

from .chat_helpers import PLAIN_MODEL, answers, open_chat, rows, send, shown
from .helpers import SIZE, notifications, settle

ROUTE = "@serverless:/v1/chat/completions#times=1"

CASES = [
    # fault, panel title, text in the panel, partial text kept
    pytest.param("status=401", "Not authorised", "HTTP 401", False, id="401"),
    pytest.param("status=429,retry_after=7", "Rate limited", "Retry after 7 s", False, id="429"),
    pytest.param("status=500", "Server error", "HTTP 500", False, id="500"),
    pytest.param("status=503", "Server error", "HTTP 503", False, id="503"),
    pytest.param("reset=6", "Error", "connection lost mid-stream", True, id="reset"),
    pytest.param("error=6", "Error", "upstream model worker disconnected", True, id="mid-stream-error"),
    pytest.param("malformed=6", "Error", "not JSON", True, id="malformed"),
]


@pytest.mark.parametrize(("fault", "title", "needle", "partial"), CASES)
async def test_a_failure_is_shown_in_place_saved_and_retried(
    emulator_env, make_app, fault, title, needle, partial
):
    emulator_env.state.faults.add(fault + ROUTE)
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Tell me about caches")

        [answer] = answers(screen)
        assert answer.status is MessageStatus.ERROR and "failed" in shown(answer.query_one(".message-header"))
        panel = answer.query_one(ErrorPanel)
        assert panel.display and panel.info.title == title
        assert needle in shown(panel) and "ctrl+r retries" in shown(panel)
        stored = rows(app)[-1]
        assert stored["status"] == "error" and stored["error"]
        assert bool(stored["content"]) is partial
        if partial:  # what had arrived stays on screen, rendered
            assert answer.query_one(Markdown) and answer.content == stored["content"]
        assert "usage unavailable" in shown(answer.query_one(MetricsLine))
        assert not [n for n in notifications(app) if n[0] == "Unexpected error"]

        await pilot.press("ctrl+r")  # the fault was used up: the retry succeeds
        await settle(pilot)
        [answer] = answers(screen)
        assert answer.status is MessageStatus.COMPLETE and not answer.query_one(ErrorPanel).display
        assert [r["status"] for r in rows(app)] == ["complete", "complete"]


async def test_401_offers_the_account_section(emulator_env, make_app):
    emulator_env.state.faults.add("status=401" + ROUTE)
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        assert screen.check_action("open_account", ()) is False  # shown only after a 401
        await send(pilot, "hello")
        assert screen.check_action("open_account", ()) is True
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.screen.id != "chat" or notifications(app)  # Account opened, or how to set the key


async def test_a_truncated_stream_keeps_the_text_and_says_usage_is_unavailable(emulator_env, make_app):
    emulator_env.state.faults.add("truncate=6" + ROUTE)
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "Tell me about caches")
        [answer] = answers(screen)
        assert answer.status is MessageStatus.TRUNCATED and "cut short" in shown(
            answer.query_one(".message-header")
        )
        assert answer.content and rows(app)[-1]["status"] == "truncated"
        line = shown(answer.query_one(MetricsLine))
        assert "usage unavailable" in line and "cost unknown" in line


async def test_a_slow_first_byte_times_out_readably(emulator_env, make_app):
    emulator_env.state.faults.add("first_byte=5" + ROUTE)
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        app.session.inference().transport.stream_idle_timeout = 0.3  # instead of minutes
        await send(pilot, "hello?")
        [answer] = answers(screen)
        panel = answer.query_one(ErrorPanel)
        assert answer.status is MessageStatus.ERROR and panel.info.title == "Timed out"
        assert rows(app)[-1]["status"] == "error"


async def test_an_unreachable_server_is_reported_without_a_traceback(emulator_env, make_app, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("TENSORMESH_SERVERLESS_BASE_URL", f"http://127.0.0.1:{port}")
    app = make_app(model=PLAIN_MODEL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, "hello?")
        [answer] = answers(screen)
        assert answer.query_one(ErrorPanel).info.title == "Unreachable"
        assert rows(app)[-1]["status"] == "error"
        assert "Traceback" not in shown(answer)
