"""The Overview tab of Account against the emulator: profile edit (validation, server rejection with
the input kept), terms of service accept, and two issue #8 fixes — the key field no longer traps
the focus, and nothing from a broken profile stays on screen after switching back."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from tm_tui.emulator.state import DEMO_INFERENCE_KEY
from tm_tui.screens.account import AccountScreen
from tm_tui.screens.account_profile import ProfileEditScreen
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.masked_input import SecretInput

from ..helpers import SIZE, open_section, plain, settle, snapshot_of, write_profiles
from .flows import ACCOUNT, fill, text_of, visible_text


def demo_user(emulator) -> dict:
    return emulator.control_plane.data.users[emulator.on_demand_user_id]


async def test_edit_the_name_fields(app, emulator):
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, ProfileEditScreen)
        assert form.query_one("#first-name", Input).value == "Ada"

        await fill(pilot, {"first-name": "", "display-name": "x\x1b[31m"})
        assert app.screen is form
        assert "First name is required" in text_of(form, "#first-name-error")
        assert "control characters" in text_of(form, "#display-name-error")
        assert demo_user(emulator)["firstName"] == "Ada"  # nothing was sent

        await fill(pilot, {"first-name": "Augusta", "last-name": "King", "display-name": "Augusta K."})
        assert app.screen is screen
        user = demo_user(emulator)
        assert (user["firstName"], user["lastName"], user["displayName"]) == ("Augusta", "King", "Augusta K.")
        assert "Augusta K." in text_of(screen, "#user") and "Profile saved" in text_of(
            screen, "#user-message"
        )
        assert "Augusta K." in str(screen.query_one(ContextBar).render())


async def test_a_server_rejection_shows_on_the_form_and_keeps_the_input(app, emulator):
    emulator.state.faults.add("status=400,method=PUT@control_plane:/v1/users/*#times=1")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("e")
        form = app.screen
        await fill(pilot, {"first-name": "Augusta"})
        assert app.screen is form
        error = form.query_one("#form-error", ErrorPanel)
        assert error.display and "HTTP 400" in plain(error)
        assert "your input is still here" in text_of(form, "#form-message")
        assert form.query_one("#first-name", Input).value == "Augusta"
        await pilot.press("enter")  # sent again: accepted
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen) and demo_user(emulator)["firstName"] == "Augusta"


async def test_accept_the_terms_of_service(app, emulator):
    del demo_user(emulator)["tosAcceptedAt"]
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        assert "✗ not accepted: a accepts" in text_of(screen, "#user")
        assert screen.check_action("accept_tos", ()) is True
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert demo_user(emulator)["tosAcceptedAt"]
        assert "✓ accepted" in text_of(screen, "#user")
        assert "Terms of service accepted" in text_of(screen, "#user-message")
        assert screen.check_action("accept_tos", ()) is False  # nothing left to accept


async def test_the_key_field_lets_go_after_saving_and_on_escape(emulator, make_app, monkeypatch):
    """Issue #8: after saving a key the focus stayed in the field, so `p` typed into it."""
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    app = make_app(
        control_plane_url=emulator.control_plane_base_url, serverless_url=emulator.serverless_base_url
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        screen = app.screen
        field = screen.query_one("#key-input", SecretInput)
        await pilot.press("k", *DEMO_INFERENCE_KEY, "enter")
        await settle(pilot)
        assert "works on serverless" in text_of(screen, "#key-message")
        assert screen.focused is not field
        await pilot.press("p")
        await settle(pilot)
        assert field.value == "" and screen.active_tab == "keys"
        assert screen.focused is screen.query_one("#api-keys", DataTable)

        await pilot.press("1", "k", *"half-typed")
        assert screen.focused is field
        await pilot.press("escape")
        assert screen.focused is None
        await pilot.press("p")
        assert field.value == "half-typed" and screen.active_tab == "keys"


async def test_nothing_of_a_broken_profile_stays_after_switching_back(
    emulator, make_app, isolated_dirs, monkeypatch
):
    """Issue #8: Account kept "Could not reach 127.0.0.1:9" after switching back from a broken profile."""
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_TOKEN", emulator.control_plane_token)
    write_profiles(
        isolated_dirs["TM_TUI_CONFIG_DIR"],
        f"""
[profiles.good]
serverless_base_url = "{emulator.serverless_base_url}"
control_plane_base_url = "{emulator.control_plane_base_url}"

[profiles.broken]
serverless_base_url = "http://127.0.0.1:9"
control_plane_base_url = "http://127.0.0.1:9"
""",
    )
    app = make_app(profile="good")
    async with app.run_test(size=SIZE) as pilot:
        for name in ("broken", "good"):
            await open_section(pilot, "settings")
            table = app.screen.query_one("#profiles", DataTable)
            table.move_cursor(row=table.get_row_index(name))
            await pilot.press("s")
            await settle(pilot)
            assert app.session.profile_name == name
            await open_section(pilot, ACCOUNT)
            screen = app.screen
            if name == "broken":
                await pilot.press("l")  # the login fails too: its outcome is on screen
                await pilot.press("k", *"tmk_some_key_000000", "enter")
                await settle(pilot)
                assert "Could not reach 127.0.0.1:9" in visible_text(screen)
        assert "Could not reach" not in visible_text(screen)
        assert not any(panel.display for panel in screen.query(ErrorPanel))
        assert "Ada L." in text_of(screen, "#user")
        assert "did not complete" not in text_of(screen, "#login-status")  # the idle hint again
        assert "not saved" not in text_of(screen, "#key-message")


def test_snapshot_account_overview_narrow(emulator_env, make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=snapshot_of(ACCOUNT))
