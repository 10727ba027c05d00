"""The API keys tab against the emulator: create a key → its secret shown once (masked, revealed,
copied) → made the active key in one step → listed → a chat works with it → revoked (typing the
name of the key in use) → the chat fails with 401 and says what to do. Plus the filter, the
create form's validation and server rejection, and each failure state of the list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input

from tm_tui.screens.account import AccountScreen
from tm_tui.screens.account_key_form import NewKeyScreen, parse_expiry, parse_scopes
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.secret_once import SecretOnceScreen
from tm_tui.widgets.typed_confirm import TypedConfirmScreen

from ..chat_helpers import answers, send, shown
from ..helpers import FROZEN_NOW, SIZE, open_section, plain, settle, snapshot_of
from .flows import (
    ACCOUNT,
    SEEDED_STATUSES,
    fill,
    highlight_key,
    key_cells,
    key_statuses,
    screen_text,
    text_of,
)


@pytest.fixture
def app(app_without_key):
    return app_without_key


async def open_keys(pilot) -> tuple[AccountScreen, DataTable]:
    await open_section(pilot, ACCOUNT)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AccountScreen) and screen.active_tab == "keys"
    return screen, screen.query_one("#api-keys", DataTable)


async def chat_once(pilot, text: str):
    await open_section(pilot, "chat")
    await send(pilot, text)
    return answers(pilot.app.screen)[-1]


async def test_create_use_chat_revoke_then_the_chat_fails_with_401(app, emulator):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_keys(pilot)
        assert key_statuses(table) == SEEDED_STATUSES

        await pilot.press("n")
        assert isinstance(app.screen, NewKeyScreen)
        await fill(pilot, {"key-name": "build-box", "key-scopes": "inference", "key-expiry": ""})
        secret_screen = app.screen
        assert isinstance(secret_screen, SecretOnceScreen)
        [created] = [k for k in emulator.control_plane.data.api_keys if k["name"] == "build-box"]
        secret = created["id"]

        # Masked until revealed, with a plain warning; copy puts it on the clipboard (OSC 52).
        assert secret not in screen_text(secret_screen)
        assert "only time this key is shown" in screen_text(secret_screen)
        await pilot.press("v")
        assert secret in screen_text(secret_screen)
        await pilot.press("v")
        assert secret not in screen_text(secret_screen)
        await pilot.press("c")
        assert app.clipboard == secret

        # One step makes it the active inference key (validated on the surface first).
        await pilot.press("u")
        await settle(pilot)
        assert "works on serverless" in text_of(secret_screen, "#secret-message")
        assert app.session.settings.inference_api_key.value.reveal() == secret

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen  # closed: nothing can show the secret again
        cells = key_cells(table, "build-box")
        assert cells["status"] == "active" and cells["in use"] == "✓ in use"
        assert cells["key"] != secret and secret not in screen_text(screen)

        answer = await chat_once(pilot, "hello with the new key")
        assert answer.status.value == "complete", shown(answer)

        # Revoking the key in use needs its name typed; a wrong name does nothing.
        screen, table = await open_keys(pilot)
        highlight_key(table, "build-box")
        await pilot.press("d")
        assert isinstance(app.screen, TypedConfirmScreen)
        await fill(pilot, {"typed-input": "build"})
        assert isinstance(app.screen, TypedConfirmScreen)
        assert "does not match" in text_of(app.screen, "#typed-message")
        assert "deletedAt" not in created
        await fill(pilot, {"typed-input": "build-box"})
        assert app.screen is screen
        assert "deletedAt" in created
        assert key_cells(table, "build-box")["status"] == "revoked"
        assert "It was the key in use" in text_of(screen, "#keys-message")

        await pilot.press("3")  # the activity log names both, never by the secret
        await settle(pilot)
        activity = screen.query_one("#activity", DataTable)
        assert [str(activity.get_row_at(i)[3]) for i in (0, 1)] == [
            "Revoked API key build-box",
            "Created API key build-box",
        ]
        cells = [str(cell) for row in range(activity.row_count) for cell in activity.get_row_at(row)]
        assert not [cell for cell in cells if secret in cell]

        answer = await chat_once(pilot, "hello again")
        assert answer.status.value == "error"
        panel = answer.query_one(ErrorPanel)
        assert panel.info.title == "Not authorised" and "HTTP 401" in shown(panel)
        assert "opens Account to log in or set the key" in shown(panel)


async def test_revoking_another_key_asks_yes_or_no(app, emulator):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_keys(pilot)
        highlight_key(table, "laptop")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert key_cells(table, "laptop")["status"] == "active"
        await pilot.press("d", "y")
        await settle(pilot)
        assert key_cells(table, "laptop")["status"] == "revoked"
        assert "Revoked “laptop”" in text_of(screen, "#keys-message")
        highlight_key(table, "laptop")
        assert screen.check_action("revoke_key", ()) is False  # a revoked key cannot be revoked again


async def test_the_form_checks_fields_and_keeps_input_on_a_server_rejection(app, emulator):
    emulator.state.faults.add("status=400,method=POST@control_plane:/v1/users/api-keys#times=1")
    async with app.run_test(size=SIZE) as pilot:
        await open_keys(pilot)
        await pilot.press("n")
        form = app.screen
        await fill(pilot, {"key-name": "", "key-scopes": "inference, bad scope!", "key-expiry": "yesterday"})
        assert app.screen is form
        assert "required" in text_of(form, "#key-name-error")
        assert "not a scope name" in text_of(form, "#key-scopes-error")
        assert "never, a number of days" in text_of(form, "#key-expiry-error")
        before = len(emulator.control_plane.data.api_keys)

        await fill(pilot, {"key-name": "ci", "key-scopes": "inference", "key-expiry": "2027-06-30"})
        assert app.screen is form  # the server said no: the form stays, with what was typed
        error = form.query_one("#form-error", ErrorPanel)
        assert error.display and "HTTP 400" in plain(error)
        assert form.query_one("#key-name", Input).value == "ci"
        assert len(emulator.control_plane.data.api_keys) == before

        await pilot.press("enter")  # the fault was used up: sent again, it works
        await settle(pilot)
        assert isinstance(app.screen, SecretOnceScreen)
        [created] = [k for k in emulator.control_plane.data.api_keys if k["name"] == "ci"]
        assert created["expiresAt"].startswith("2027-06-30") and created["scopes"] == ["inference"]
        await pilot.press("escape")  # not copied: a first esc only warns
        assert isinstance(app.screen, SecretOnceScreen)
        assert "cannot be shown again" in text_of(app.screen, "#secret-message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)


async def test_filter_by_name_and_status(app):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_keys(pilot)
        await pilot.press("s")  # all → active
        assert set(key_statuses(table)) == {"demo", "laptop"}
        await pilot.press("s", "s")  # → expired → revoked
        assert key_statuses(table) == {"old-ci": "revoked"}
        await pilot.press("s")  # → all
        await pilot.press("slash")
        assert screen.focused.id == "keys-filter"
        await pilot.press(*"ci")
        assert set(key_statuses(table)) == {"ci-2025", "old-ci"}
        await pilot.press("escape")  # leaves the field for the table: keys act again
        assert screen.focused is table
        await pilot.press("s", "s")  # expired
        assert key_statuses(table) == {"ci-2025": "expired"}
        await pilot.press("slash", *"-zz")
        assert len(key_statuses(table)) == 0 and "No key matches" in text_of(screen, "#keys-message")


@pytest.mark.parametrize(
    ("fault", "title", "needle"),
    [
        pytest.param("status=403", "Permission denied", "lacks the permission to list API keys", id="403"),
        pytest.param("status=503", "Server error", "HTTP 503", id="503"),
    ],
)
async def test_a_failed_reload_keeps_the_list(app, emulator, fault, title, needle):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_keys(pilot)
        emulator.state.faults.add(f"{fault}@control_plane:/v1/users/api-keys")
        await pilot.press("r")
        await settle(pilot)
        error = screen.query_one("#keys-error", ErrorPanel)
        assert error.display and error.info.title == title and needle in plain(error)
        assert key_statuses(table) == SEEDED_STATUSES  # what was shown stays
        assert "from before; r retries" in text_of(screen, "#keys-message")
        emulator.state.faults.clear()
        await pilot.press("r")
        await settle(pilot)
        assert not error.display


async def test_no_keys_says_so(app, emulator):
    emulator.control_plane.data.api_keys.clear()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_keys(pilot)
        assert table.row_count == 0
        assert "no API keys yet: n creates one" in text_of(screen, "#keys-message")


def test_expiry_and_scopes_are_parsed():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_expiry("", now) is None and parse_expiry("never", now) is None
    assert parse_expiry("30", now) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert parse_expiry("7d", now) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert parse_expiry("2026-03-02", now) == datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)
    for bad in ("0", "2026-02-28", "2040-01-01", "soon"):
        with pytest.raises(ValueError):
            parse_expiry(bad, now)
    assert parse_scopes(" inference, billing:read inference ") == ("inference", "billing:read")
    assert parse_scopes("") == ()
    with pytest.raises(ValueError):
        parse_scopes("in[red]ference")


def test_snapshot_keys_tab(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=snapshot_of(ACCOUNT, "2"))


def test_snapshot_new_key_shown_once(app, snap_compare, monkeypatch):
    from tm_tui.emulator.control_plane import users

    monkeypatch.setattr(users.secrets, "token_hex", lambda n: "0123456789abcdef"[: 2 * n])
    monkeypatch.setattr(users, "now", lambda: FROZEN_NOW)

    async def run_before(pilot):
        await open_keys(pilot)
        await pilot.press("n")
        await fill(pilot, {"key-name": "build-box", "key-expiry": "90"})
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
