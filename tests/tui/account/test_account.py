"""Account section against the emulator: browser login (approve, deny, timeout, cancel), refresh,
logout, inference key validation (good / bad), picking a key from the control plane, errors."""

from __future__ import annotations

import json
import stat
from urllib.parse import parse_qs, urlparse

import pytest
from textual.widgets import DataTable, Static

from tm_tui.emulator.state import DEMO_INFERENCE_KEY
from tm_tui.screens.account import AccountScreen, key_status
from tm_tui.screens.sections import SectionCommands
from tm_tui.state import LoginState
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.login_panel import LoginPanel

from ..helpers import (
    FROZEN_NOW,
    SIZE,
    open_section,
    plain,
    settle,
    shown_lines,
    snapshot_of,
    wait_until,
)

ACCOUNT = "account"
REAL_NOW = AccountScreen.__dict__["now"]  # before the autouse fixture pins it


# `emulator` (dates pinned to FROZEN_NOW) and the pinned Account clock come from account/conftest.py.


@pytest.fixture
def app_without_login(emulator, make_app):
    """The default profile pointed at the emulator by flags, with no credential at all."""
    return make_app(
        control_plane_url=emulator.control_plane_base_url,
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
    )


@pytest.fixture
def logged_in_by_env(emulator, monkeypatch):
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    return emulator


SEEDED_STATUSES = {"demo": "active", "laptop": "active", "ci-2025": "expired", "old-ci": "revoked"}


def key_statuses(table: DataTable) -> dict[str, str]:
    """{key name: status} of the rows the keys table shows."""
    return {str(table.get_cell(row, "name")): str(table.get_cell(row, "status")) for row in table.rows}


def text_of(screen, selector: str) -> str:
    return plain(screen.query_one(selector, Static))


def login_text(screen) -> str:
    panel = screen.query_one(LoginPanel)
    return " ".join(str(static.render()) for static in panel.query(Static) if static.display)


def cli_code_of(emulator, url: str) -> str:
    user_code = parse_qs(urlparse(url).query)["code"][0]
    return emulator.control_plane.login.by_user_code(user_code).cli_code


async def start_login(pilot, screen) -> str:
    await pilot.press("l")
    panel = screen.query_one(LoginPanel)
    await wait_until(pilot, lambda: panel.is_waiting, "the login URL")
    assert "Waiting for approval" in login_text(screen)
    return panel.url


async def test_login_approved_stores_tm_auth_json(app_without_login, emulator, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        assert app.context.login == LoginState.NOT_LOGGED_IN
        url = await start_login(pilot, screen)
        assert url.startswith(emulator.control_plane_base_url)
        assert emulator.control_plane.approve(cli_code_of(emulator, url))
        await settle(pilot)

        assert "Logged in as Ada L." in login_text(screen)
        assert app.context.login == LoginState.LOGGED_IN
        assert "control plane logged in" in str(screen.query_one(ContextBar).render())
        auth = isolated_dirs["TM_CONFIG_HOME"] / "auth.json"
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600
        stored = json.loads(auth.read_text())
        # The verbatim exchange body, as `tm auth login` stores it.
        assert set(stored) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert app.session.settings.control_plane_token.source == "tm auth.json"
        assert "Ada L." in text_of(screen, "#user")


async def test_login_denied_shows_why_and_saves_nothing(app_without_login, emulator, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        url = await start_login(pilot, app.screen)
        assert emulator.control_plane.deny(cli_code_of(emulator, url))
        await settle(pilot)
        error = app.screen.query_one("#login-error", ErrorPanel)
        assert error.display and "denied" in str(error.render())
        assert "Press l to start the login again" in str(error.render())
        assert not (isolated_dirs["TM_CONFIG_HOME"] / "auth.json").exists()
        assert app.context.login == LoginState.NOT_LOGGED_IN


async def test_login_times_out_after_the_max_wait(app_without_login, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        app.screen.login_max_wait_s = 0.2
        await pilot.press("l")
        await settle(pilot)
        error = app.screen.query_one("#login-error", ErrorPanel)
        assert error.display and "timed out" in str(error.render())
        assert not (isolated_dirs["TM_CONFIG_HOME"] / "auth.json").exists()


async def test_escape_cancels_the_login(app_without_login, emulator, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        url = await start_login(pilot, screen)
        await pilot.press("escape")
        await settle(pilot)
        assert "Login cancelled" in login_text(screen)
        assert not screen.query_one(LoginPanel).is_waiting
        assert not any(w.group == "browser-login" and w.is_running for w in screen.workers)
        # Approving afterwards changes nothing: nobody polls any more.
        emulator.control_plane.approve(cli_code_of(emulator, url))
        await settle(pilot)
        assert not (isolated_dirs["TM_CONFIG_HOME"] / "auth.json").exists()
        assert app.context.login == LoginState.NOT_LOGGED_IN


async def test_refresh_then_logout_with_confirmation(app_without_login, emulator, isolated_dirs):
    app = app_without_login
    auth = isolated_dirs["TM_CONFIG_HOME"] / "auth.json"
    emulator.state.auto_approve_login_after_s = 0  # approved at the first poll
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        await pilot.press("l")
        await settle(pilot)
        first = json.loads(auth.read_text())

        await pilot.press("t")
        await settle(pilot)
        assert "Token refreshed" in login_text(screen)
        second = json.loads(auth.read_text())
        assert second["access_token"] != first["access_token"]
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600
        assert app.context.login == LoginState.LOGGED_IN

        await pilot.press("o")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # declined: nothing happens
        await settle(pilot)
        assert auth.exists()
        await pilot.press("o")
        await pilot.press("y")
        await settle(pilot)
        assert not auth.exists()
        assert "Logged out" in login_text(screen)
        assert app.context.login == LoginState.NOT_LOGGED_IN
        assert "control plane not logged in" in str(screen.query_one(ContextBar).render())


async def test_a_good_key_is_validated_then_saved(app_without_login, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("k")
        await pilot.press(*DEMO_INFERENCE_KEY, "enter")
        await settle(pilot)
        screen = app.screen
        assert "works on serverless" in text_of(screen, "#key-message")
        assert DEMO_INFERENCE_KEY not in text_of(screen, "#key-message")  # only the masked form
        config = (isolated_dirs["TM_CONFIG_HOME"] / "config.toml").read_text()
        assert DEMO_INFERENCE_KEY in config  # [overrides].gateway_api_key, shared with `tm`
        assert app.session.settings.inference_api_key.value.reveal() == DEMO_INFERENCE_KEY
        assert app.session.serverless is not None
        assert "✓ tmk_" in text_of(screen, "#credentials")


async def test_a_bad_key_is_refused_and_nothing_is_saved(app_without_login, isolated_dirs):
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("k")
        await pilot.press(*"tmk_not_a_real_key_0000", "enter")
        await settle(pilot)
        screen = app.screen
        assert "not saved" in text_of(screen, "#key-message")
        error = screen.query_one("#key-error", ErrorPanel)
        assert error.display and error.info.title == "Not authorised"
        assert not (isolated_dirs["TM_CONFIG_HOME"] / "config.toml").exists()
        assert app.session.settings.inference_api_key.value is None


async def test_pick_a_key_from_the_control_plane(
    app_without_login, logged_in_by_env, isolated_dirs, monkeypatch
):
    monkeypatch.setattr(AccountScreen, "now", staticmethod(lambda: FROZEN_NOW))
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        table = screen.query_one("#api-keys", DataTable)
        names = {str(table.get_row_at(i)[0]): i for i in range(table.row_count)}
        assert key_statuses(table) == SEEDED_STATUSES

        await pilot.press("p")
        assert screen.focused is table
        for name, status in (("old-ci", "revoked"), ("ci-2025", "expired")):
            table.move_cursor(row=names[name])
            await pilot.press("enter")
            await settle(pilot)
            assert f"{status}: pick an active one" in text_of(screen, "#key-message")
            assert app.session.settings.inference_api_key.value is None

        table.move_cursor(row=names["laptop"])
        await pilot.press("enter")
        await settle(pilot)
        assert "works on serverless" in text_of(screen, "#key-message")
        assert app.session.settings.inference_api_key.value.reveal() == "tmk_live_9b1c2d3e4f5a6b7c"


async def test_unreachable_control_plane_is_a_readable_message(make_app):
    app = make_app(control_plane_url="http://127.0.0.1:9")  # nothing listens on the discard port
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("l")
        await settle(pilot)
        error = app.screen.query_one("#login-error", ErrorPanel)
        assert error.display and error.info.title == "Unreachable"
        assert "Check the base URL" in str(error.render())


async def test_server_errors_show_in_place(app_without_login, emulator):
    emulator.state.faults.add("status=503@control_plane:/auth/cli/start")
    app = app_without_login
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("l")
        await settle(pilot)
        error = app.screen.query_one("#login-error", ErrorPanel)
        assert error.display and "503" in str(error.render())
        assert app.is_running


def test_snapshot_account(emulator_env, make_app, snap_compare):
    # Credentials from env vars (their origin is the variable's name), the user, frozen key dates.
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(ACCOUNT))


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_the_user_id_is_on_the_row_of_its_label(emulator_env, make_app, size):
    from tm_tui.emulator.state import DEMO_USER_ID

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_section(pilot, ACCOUNT)
        lines = shown_lines(app.screen.query_one("#user", Static))
        assert [line.split()[:3] for line in lines if "User id" in line] == [["User", "id", DEMO_USER_ID]]


async def test_main_actions_have_ids_and_palette_commands(emulator_env, make_app):
    from tm_tui.screens.models import ModelsScreen
    from tm_tui.screens.settings import SettingsScreen
    from tm_tui.widgets.model_table import ModelTable
    from tm_tui.widgets.profile_form import ProfileForm

    for owner in (AccountScreen, ModelsScreen, SettingsScreen, ModelTable, ProfileForm, ConfirmScreen):
        assert all(binding.id for binding in owner.BINDINGS), owner
    expected = {
        "account": {"Log in", "Log out", "Refresh token", "Set inference API key", "Pick API key"},
        "models": {"Select model", "Filter", "Model by name", "Refresh"},
        "settings": {"New profile", "Switch profile", "Edit", "Delete", "Theme"},
    }
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for section_id, titles in expected.items():
            await open_section(pilot, section_id)
            offered = [command.title for command in app.get_system_commands(app.screen)]
            offered += [hit.text async for hit in SectionCommands(app.screen).discover()]
            assert titles <= set(offered), section_id
            assert len(offered) == len(set(offered)), section_id  # none twice


@pytest.mark.parametrize("days_later", [0, 1, 300, 1000])
def test_seeded_keys_keep_their_status_when_viewed_later(days_later):
    """The seed's dates are relative to its `now`; the Account section judges them by its own clock,
    which runs on after a pinned seed (or a long demo). Active keys must stay active meanwhile."""
    from datetime import timedelta

    from tm_tui.api.models.control_plane import ApiKey
    from tm_tui.emulator.seed import build_seed
    from tm_tui.emulator.state import DEMO_USER_ID

    keys = [ApiKey.model_validate(key) for key in build_seed(DEMO_USER_ID, now=FROZEN_NOW).api_keys]
    viewed_at = FROZEN_NOW + timedelta(days=days_later)
    status = {key.name: key_status(key, viewed_at) for key in keys}
    assert status == SEEDED_STATUSES


async def test_the_demo_shows_active_keys_active_by_the_real_clock(make_app, monkeypatch):
    monkeypatch.setattr(AccountScreen, "now", REAL_NOW)  # the real clock, like `tm-tui --demo`
    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        assert key_statuses(app.screen.query_one("#api-keys", DataTable)) == SEEDED_STATUSES
