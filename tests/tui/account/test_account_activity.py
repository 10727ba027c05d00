"""The Activity tab against the emulator: numbered pages, empty state, 403, network failure (the page
stays, r retries), and a 401 that leads to the login and back to the page the user asked for."""

from __future__ import annotations

from textual.widgets import DataTable

from tm_tui.screens.account import AccountScreen
from tm_tui.screens.account_activity import PAGE_SIZE, activity_cells
from tm_tui.state import LoginState
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.page_bar import page_window

from ..helpers import SIZE, open_section, plain, settle, snapshot_of
from .flows import ACCOUNT, highlight_key, text_of

ROUTE = "@control_plane:/v1/activities"


async def open_activity(pilot) -> tuple[AccountScreen, DataTable]:
    await open_section(pilot, ACCOUNT)
    await pilot.press("3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AccountScreen) and screen.active_tab == "activity"
    return screen, screen.query_one("#activity", DataTable)


def first_description(table: DataTable) -> str:
    return str(table.get_row_at(0)[3])


async def test_numbered_pages(app, emulator):
    activities = emulator.control_plane.data.activities
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_activity(pilot)
        pane = screen.activity_pane
        assert table.row_count == PAGE_SIZE and pane.page == 1
        assert "page 1 of 8 · 160 activities" in text_of(screen, "#activity-pages")
        assert screen.check_action("prev_page", ()) is False
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert pane.page == 3 and first_description(table) == activities[2 * PAGE_SIZE]["description"]
        assert str(table.get_row_at(0)[0]) == activities[2 * PAGE_SIZE]["occurredAt"][:16].replace("T", " ")
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert pane.page == 2 and "1 [2] 3 4 … 8" in text_of(screen, "#activity-pages")
        for _ in range(6):
            await pilot.press("right_square_bracket")
            await settle(pilot)
        assert pane.page == 8 and screen.check_action("next_page", ()) is False


async def test_what_is_done_in_account_shows_in_activity(app, emulator):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_activity(pilot)
        await pilot.press("2")
        await settle(pilot)
        highlight_key(screen.query_one("#api-keys", DataTable), "laptop")
        await pilot.press("d", "y")
        await settle(pilot)
        await pilot.press("3", "r")
        await settle(pilot)
        assert first_description(table) == "Revoked API key laptop"


async def test_no_activity_says_so(app, emulator):
    emulator.control_plane.data.activities.clear()
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_activity(pilot)
        assert table.row_count == 0
        assert "No activity yet" in text_of(screen, "#activity-message")


async def test_403_says_the_account_lacks_the_permission(app, emulator):
    emulator.state.faults.add("status=403" + ROUTE)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await open_activity(pilot)
        error = screen.query_one("#activity-error", ErrorPanel)
        assert error.display and error.info.title == "Permission denied"
        assert "lacks the permission to read the activity log" in plain(error)


async def test_a_network_failure_keeps_the_page_and_r_retries(app, emulator):
    async with app.run_test(size=SIZE) as pilot:
        screen, table = await open_activity(pilot)
        shown = first_description(table)
        emulator.state.faults.add("reset" + ROUTE)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        error = screen.query_one("#activity-error", ErrorPanel)
        assert error.display and error.info.title == "Unreachable" and "r retries" in plain(error)
        assert screen.activity_pane.page == 1 and first_description(table) == shown
        assert "Still showing page 1; r retries page 2" in text_of(screen, "#activity-message")
        emulator.state.faults.clear()
        await pilot.press("r")
        await settle(pilot)
        assert not error.display and screen.activity_pane.page == 2


async def test_401_leads_to_the_login_and_back_to_the_page(emulator, make_app):
    emulator.state.auto_approve_login_after_s = 0  # approved at the first poll
    app = make_app(
        control_plane_url=emulator.control_plane_base_url,
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, ACCOUNT)
        await pilot.press("l")
        await settle(pilot)
        assert app.context.login == LoginState.LOGGED_IN
        screen, table = await open_activity(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        page_two = first_description(table)

        emulator.control_plane.login.end_sessions()  # the server signs everyone out; refresh fails
        await pilot.press("right_square_bracket")
        await settle(pilot)
        error = screen.query_one("#activity-error", ErrorPanel)
        assert error.display and error.info.title == "Not authorised"
        assert "Press l to log in again: you come back here" in plain(error)
        assert first_description(table) == page_two  # kept
        assert app.context.login == LoginState.EXPIRED

        await pilot.press("l")
        await settle(pilot)
        assert app.context.login == LoginState.LOGGED_IN
        assert screen.active_tab == "activity" and screen.activity_pane.page == 3
        assert not error.display


def test_an_api_key_in_the_log_is_masked():
    """A server that logs a key by its id (the secret) still never gets it on screen."""
    from tm_tui.api.models.control_plane import Activity

    logged = Activity(
        action="api_key.created", resource_type="api_key", resource_id="tmk_live_0123456789abcdef"
    )
    assert activity_cells(logged)[2] == "tmk_…cdef"


def test_page_window():
    assert page_window(1, 1) == [1]
    assert page_window(1, 8) == [1, 2, 3, None, 8]
    assert page_window(5, 10) == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert page_window(4, 8) == [1, 2, 3, 4, 5, 6, None, 8]


def test_snapshot_activity(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=snapshot_of(ACCOUNT, "3"))
