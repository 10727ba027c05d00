"""The app refuses plain http:// to a remote host with a message that says why and how to allow it,
in the notification and in place (the chat's model note, Status), never a traceback."""

from __future__ import annotations

import pytest

from tm_tui.config import resolve_settings
from tm_tui.session import Session
from tm_tui.state import LaunchOptions

from .helpers import SIZE, notifications, open_section, plain, settle

REMOTE = "http://203.0.113.7:8000"  # TEST-NET-3: never routed, and never contacted here


@pytest.fixture
def remote_serverless(emulator_env, monkeypatch):
    monkeypatch.setenv("TENSORMESH_SERVERLESS_BASE_URL", REMOTE)
    return emulator_env


async def test_a_remote_http_url_is_refused_with_a_reason(remote_serverless, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        problems = [message for title, message, _ in notifications(app) if title == "Settings problem"]
        refusal = next(message for message in problems if "203.0.113.7" in message)
        assert "would travel unencrypted" in refusal
        assert "--allow-insecure-http" in refusal and "TM_TUI_ALLOW_INSECURE_HTTP=1" in refusal
        assert app.session is not None and app.session.serverless is None
        note = plain(app.screen.query_one("#chat-model-note"))
        assert "Refusing plain http://" in note
        assert app.session.control_plane is not None  # the loopback emulator is still fine
        await open_section(pilot, "status")
        row = app.screen.query_one("#row-serverless")
        assert "Refusing plain http://" in " ".join(plain(static) for static in row.query("Static"))


@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_user_can_allow_it(remote_serverless, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("TM_TUI_ALLOW_INSECURE_HTTP", "1")
    settings = resolve_settings(LaunchOptions(allow_insecure_http=how == "flag"))
    assert settings.allow_insecure_http.value
    assert settings.allow_insecure_http.label == (
        "flag: --allow-insecure-http" if how == "flag" else "env: TM_TUI_ALLOW_INSECURE_HTTP"
    )
    session = Session(settings)
    assert session.serverless is not None
    assert not any("Refusing" in problem for problem in session.problems)


def test_refused_by_default_and_the_switch_is_shown_in_settings(remote_serverless):
    settings = resolve_settings(LaunchOptions())
    session = Session(settings)
    assert session.serverless is None and "unencrypted" in (session.serverless_reason or "")
    rows = {row.name: row.value for row in settings.describe()}
    assert rows["plain http to remote hosts"] == "off"
