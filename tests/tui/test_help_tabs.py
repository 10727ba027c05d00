"""F1 help in a section in tabs: every key of the screen, grouped by tab, not only those of the tab in
front (the footer hides the others, so help is where they are found)."""

from __future__ import annotations

from textual.widgets import Static

from tm_tui.screens.help import HelpScreen

from .helpers import SIZE, open_section, plain, settle


async def open_help(pilot, section_id: str) -> HelpScreen:
    await open_section(pilot, section_id)
    await pilot.press("f1")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HelpScreen)
    return pilot.app.screen


def headings(help_screen: HelpScreen) -> list[str]:
    return [plain(static).splitlines()[0].strip() for static in help_screen.query("#help-body > Static")]


def group(help_screen: HelpScreen, heading: str) -> set[str]:
    """The binding ids of the tab group called `heading`."""
    rows = dict(help_screen.tab_groups)[heading]
    return {binding_id for _, _, binding_id in rows}


async def test_account_help_lists_the_keys_of_every_tab(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        help_screen = await open_help(pilot, "account")  # on Overview
        assert headings(help_screen)[:4] == [
            "On this screen: Account, on every tab",
            "Overview tab (in front)",
            "API keys tab",
            "Activity tab",
        ]
        every = {binding_id for _, _, binding_id in help_screen.screen_rows}
        # keys of every tab, those that act only in some states too (a login waiting)
        assert {"account.login", "account.login.cancel", "account.key.new", "account.reload"} <= every
        assert {"account.tab.overview", "account.tab.keys", "account.tab.activity"} <= every
        overview = group(help_screen, "Overview tab (in front)")
        assert {"account.refresh", "account.logout", "account.key.set", "account.tos.accept"} <= overview
        keys = group(help_screen, "API keys tab")
        assert keys == {"account.key.revoke", "account.keys.filter", "account.keys.status"}
        assert group(help_screen, "Activity tab") == {"account.activity.prev", "account.activity.next"}
        assert ("d", "Revoke", "account.key.revoke") in dict(help_screen.tab_groups)["API keys tab"]
        # each key once: no tab's key also among every tab's
        assert not every & (overview | keys)


async def test_the_tab_in_front_is_marked_and_its_widget_keys_join_it(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "account")
        await pilot.press("2")  # API keys: the table has the focus
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert "API keys tab (in front)" in headings(help_screen)
        assert "Overview tab" in headings(help_screen)


async def test_billing_help_lists_each_tab_with_its_keys(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        help_screen = await open_help(pilot, "billing")  # on Overview: sort and export are not there
        assert group(help_screen, "Transactions tab") == {"billing.sort", "billing.export"}
        assert group(help_screen, "Usage tab") == {"billing.export"}
        assert group(help_screen, "Pricing tab") == {"billing.use_model"}
        assert group(help_screen, "Payment tab") == {"billing.edit_address"}
        assert "billing.window" in group(help_screen, "Overview tab (in front)")
        every = {binding_id for _, _, binding_id in help_screen.screen_rows}
        assert {"billing.reload", "billing.tab.transactions"} <= every


async def test_tokenizer_help_lists_the_tab_keys_of_both_kinds(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        help_screen = await open_help(pilot, "tokenizer")
        rows = {(key, binding_id) for key, _, binding_id in help_screen.screen_rows}
        for n, tab in enumerate(("text", "chat", "detok", "compare", "prefix"), start=1):
            assert (str(n), f"tokenizer.tab.{tab}") in rows
            assert (f"alt+{n}", f"tokenizer.tab.{tab}.alt") in rows
        assert ("esc", "tokenizer.field.leave") in rows
        # out of the footer, still here
        assert {("^l", "tokenizer.live"), ("^g", "tokenizer.whitespace")} <= rows


async def test_a_section_without_tabs_keeps_one_group(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        help_screen = await open_help(pilot, "status")
        assert help_screen.tab_groups == []
        assert headings(help_screen)[0] == "On this screen: Status"
        texts = " ".join(plain(static) for static in help_screen.query(Static))
        assert "on every tab" not in texts
