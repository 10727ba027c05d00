"""The login state in the top bar follows every change that rebuilds the clients (a key picked in
Account, an on-demand deployment chosen, a profile switch), and the demo login can be refreshed."""

from __future__ import annotations

from textual.widgets import DataTable

from tm_tui.state import LoginState
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.login_panel import LoginPanel

from .helpers import SIZE, open_section, settle


def top_bar(app) -> str:
    return str(app.screen.query_one(ContextBar).render())


def assert_logged_in(app) -> None:
    assert app.context.login is LoginState.LOGGED_IN
    assert "control plane logged in" in top_bar(app)


def choose_row(table: DataTable, first_cell: str) -> None:
    rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
    table.focus()
    table.move_cursor(row=rows.index(first_cell))


async def test_the_login_is_checked_again_after_each_change_of_the_clients(make_app):
    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "models")
        await settle(pilot)
        assert_logged_in(app)

        await pilot.press("2")  # an on-demand deployment: new host and key
        choose_row(app.screen.query_one("#deployments", DataTable), "ada-qwen-coder")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.surface == "on_demand"
        assert_logged_in(app)

        await open_section(pilot, "account")  # pick an API key of the account
        choose_row(app.screen.query_one("#api-keys", DataTable), "laptop")
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.settings.inference_api_key.value.reveal() == "tmk_live_9b1c2d3e4f5a6b7c"
        assert_logged_in(app)

        await open_section(pilot, "settings")  # to a stored profile without a login, and back
        for name, state in (("default", LoginState.NOT_LOGGED_IN), ("demo", LoginState.LOGGED_IN)):
            table = app.screen.query_one("#profiles", DataTable)
            table.focus()
            table.move_cursor(row=table.get_row_index(name))
            await pilot.press("enter")
            await settle(pilot)
            assert app.session.profile_name == name and app.context.login is state
        assert_logged_in(app)


async def test_the_demo_login_carries_a_refresh_token(make_app):
    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "account")
        await pilot.press("t")
        await settle(pilot)
        shown = " ".join(
            str(s.render()) for s in app.screen.query_one(LoginPanel).query("Static") if s.display
        )
        assert "Token refreshed" in shown and "No refresh token" not in shown
        assert_logged_in(app)
