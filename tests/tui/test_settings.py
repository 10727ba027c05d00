"""Settings section: profiles are created (with per-field validation), edited, switched at runtime
(clients rebuilt, context bar updated) and deleted with a confirmation; refusals are shown."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tm_tui.config import ProfileStore
from tm_tui.screens.settings import SettingsScreen
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.profile_form import ProfileForm

from .helpers import SIZE, open_section, plain, settle, shown_lines, snapshot_of, write_profiles

SETTINGS = "settings"


@pytest.fixture
def profiles(isolated_dirs, emulator):
    """`alt` points at the emulator; `old` is a spare one to delete. The default stays active."""
    config_dir = isolated_dirs["TM_TUI_CONFIG_DIR"]
    write_profiles(
        config_dir,
        f"""
[profiles.alt]
serverless_base_url = "{emulator.serverless_base_url}"
control_plane_base_url = "{emulator.control_plane_base_url}"
timeout_s = 12.0

[profiles.old]
control_plane_base_url = "https://api.old.example"
""",
    )
    return ProfileStore(config_dir)


def profile_table(app) -> DataTable:
    return app.screen.query_one("#profiles", DataTable)


def highlight(app, name: str) -> None:
    table = profile_table(app)
    table.move_cursor(row=table.get_row_index(name))


def message(app) -> str:
    return plain(app.screen.query_one("#profiles-message", Static))


async def test_switching_profiles_rebuilds_the_clients(profiles, emulator, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        assert isinstance(app.screen, SettingsScreen)
        names = [str(profile_table(app).get_row_at(i)[1]) for i in range(profile_table(app).row_count)]
        assert names == ["default", "alt", "old"]
        before = app.session.settings.serverless_base_url.value
        generation = app.session.generation

        highlight(app, "alt")
        await pilot.press("s")
        await settle(pilot)
        session = app.session
        assert session.profile_name == "alt"
        assert session.generation > generation  # clients rebuilt in place, no restart
        assert before != session.settings.serverless_base_url.value == emulator.serverless_base_url
        assert session.serverless.transport.base_url.startswith(emulator.serverless_base_url)
        assert session.settings.timeout.value == 12.0
        assert "profile alt" in str(app.screen.query_one(ContextBar).render())
        assert app.context.profile == "alt"
        assert profiles.active_name == "alt"  # remembered for the next start
        assert "Active profile: alt" in message(app)


async def test_create_a_profile_with_per_field_validation(profiles, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, ProfileForm)
        form.query_one("#field-name", Input).value = "staging"
        form.query_one("#field-control_plane_base_url", Input).value = "ftp://nope"
        form.query_one("#field-on_demand_user_id", Input).value = "not-a-uuid"
        form.query_one("#field-timeout_s", Input).value = "-3"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still open: nothing was saved
        errors = {
            widget.id: plain(widget)
            for widget in form.query(".field-error").results(Static)
            if widget.display
        }
        assert "http:// or https://" in errors["error-control_plane_base_url"]
        assert "UUID" in errors["error-on_demand_user_id"]
        assert "greater than 0" in errors["error-timeout_s"]
        assert "error-name" not in errors
        assert "staging" not in [p.name for p in profiles.list()]

        form.query_one("#field-control_plane_base_url", Input).value = "https://api.staging.example/"
        form.query_one("#field-on_demand_user_id", Input).value = "3F8E2A4C-1B2D-4E5F-8A9B-0C1D2E3F4A5B"
        form.query_one("#field-timeout_s", Input).value = "45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        staging = profiles.get("staging")
        assert staging.control_plane_base_url == "https://api.staging.example"
        assert staging.on_demand_user_id == "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
        assert staging.timeout_s == 45.0
        assert "Created profile staging" in message(app)


async def test_a_duplicate_name_is_refused_in_the_form(profiles, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        await pilot.press("n")
        form = app.screen
        form.query_one("#field-name", Input).value = "alt"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "already exists" in plain(form.query_one("#form-message", Static))
        await pilot.press("escape")
        assert isinstance(app.screen, SettingsScreen)


async def test_edit_the_active_profile_applies_it_at_once(profiles, emulator, make_app):
    profiles.set_active("alt")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        assert app.session.profile_name == "alt"
        highlight(app, "alt")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, ProfileForm)
        assert form.query_one("#field-name", Input).disabled
        assert form.query_one("#field-timeout_s", Input).value == "12.0"
        form.query_one("#field-timeout_s", Input).value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert profiles.get("alt").timeout_s == 7.0
        assert app.session.settings.timeout.value == 7.0
        assert app.session.settings.serverless_base_url.value == emulator.serverless_base_url


async def test_delete_asks_first_and_refuses_what_it_must(profiles, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        highlight(app, "default")
        await pilot.press("d")
        assert isinstance(app.screen, SettingsScreen)  # refused without asking
        assert "default profile cannot be deleted" in message(app)

        highlight(app, "old")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert "old" in [p.name for p in profiles.list()]

        await pilot.press("d")
        await pilot.press("y")
        await settle(pilot)
        assert "old" not in [p.name for p in profiles.list()]
        assert "Deleted profile old" in message(app)
        assert profile_table(app).row_count == 2

        highlight(app, "alt")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("d")  # alt is now the active profile
        assert isinstance(app.screen, SettingsScreen)
        assert "alt is the active profile" in message(app)


async def test_theme_is_chosen_from_settings(profiles, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        await pilot.press("t")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"  # Textual's theme picker


def test_snapshot_settings(isolated_dirs, make_app, snap_compare):
    # Fixed URLs and no credentials: nothing is contacted, so the screen is fully deterministic.
    write_profiles(
        isolated_dirs["TM_TUI_CONFIG_DIR"],
        """
[profiles.staging]
control_plane_base_url = "https://api.staging.example"
serverless_base_url = "https://serverless.staging.example"
gateway_provider = "lambda"
on_demand_user_id = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
timeout_s = 20.0
""",
    )
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(SETTINGS))


def test_snapshot_profile_form_errors(isolated_dirs, make_app, snap_compare):
    async def run_before(pilot) -> None:
        await snapshot_of(SETTINGS, "n")(pilot)
        form = pilot.app.screen
        form.query_one("#field-name", Input).value = "bad name!"
        form.query_one("#field-serverless_base_url", Input).value = "serverless.example"
        form.query_one("#field-on_demand_user_id", Input).value = "1234"
        await pilot.press("ctrl+s")
        for widget in form.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


async def test_in_the_demo_settings_and_the_context_bar_show_the_same_model(make_app):
    from tm_tui.widgets.model_table import ModelTable

    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "models")
        app.screen.query_one(ModelTable).focus()
        await pilot.press("down", "enter")  # choose another serverless model
        await settle(pilot)
        chosen = app.context.model
        assert chosen and chosen == app.screen.query_one(ModelTable).current.id
        await open_section(pilot, SETTINGS)
        rows = {row.name: row.value for row in app.session.settings.describe()}
        assert (rows["surface"], rows["model"]) == ("serverless", chosen)
        resolved = plain(app.screen.query_one("#resolved", Static)).splitlines()
        assert any(line.split()[:2] == ["model", chosen] for line in resolved)
        assert chosen in str(app.screen.query_one(ContextBar).render())


async def test_in_the_demo_at_120x40_every_setting_and_its_source_fit_on_one_line(make_app):
    from tm_tui.screens.settings import DETAIL_FIELDS

    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SETTINGS)
        screen = app.screen
        details = shown_lines(screen.query_one("#profile-details", Static))
        hosts = app.session.settings.profile.on_demand_hosts
        assert len([line for line in details if line.strip()]) == len(DETAIL_FIELDS) + len(hosts)
        for (_, label), line in zip(DETAIL_FIELDS, details, strict=False):
            assert line.split("  ")[0].strip() == label  # in full, not "Control-…"
        assert "…" not in "".join(details)
        rows = app.session.settings.describe()
        resolved = [line for line in shown_lines(screen.query_one("#resolved", Static)) if line.strip()]
        assert len(resolved) == 1 + len(rows)  # the header, then one line per setting
        for row, line in zip(rows, resolved[1:], strict=True):
            assert line.split()[-1] in row.source and row.value.split()[0] in line
        assert any("demo profile (memory)" in line for line in resolved)
