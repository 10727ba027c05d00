"""Pilot tests of the shell: start-up, sections, palette, context bar, help, theme, errors."""

from __future__ import annotations

import json
import threading

import pytest
from textual.command import CommandPalette
from textual.widgets import Select

from tm_tui.api.errors import ServerError
from tm_tui.app import TmApp
from tm_tui.config import ProfileStore
from tm_tui.screens import sections
from tm_tui.screens.help import HelpScreen
from tm_tui.screens.sections import SECTIONS, Section, SectionCommands, default_section
from tm_tui.screens.status import StatusScreen
from tm_tui.session import SessionChange
from tm_tui.state import ContextChanged, LoginState
from tm_tui.store.cache import Cache
from tm_tui.widgets.context_bar import ContextBar

from .helpers import SIZE, notifications, open_section, plain, settle, wait_until


async def test_opens_on_the_default_section_with_the_context(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, default_section().load())  # the first frame shows the section
        await settle(pilot)
        assert app.current_section == default_section().id
        context = app.context
        assert (context.profile, context.surface, context.login) == (
            "default",
            "serverless",
            LoginState.LOGGED_IN,
        )
        assert context.display_name == "Ada L."
        bar = str(app.screen.query_one(ContextBar).render())
        # No model was chosen: Chat takes the first one the emulator serves.
        first_model = "model MiniMaxAI/MiniMax-M2.5"
        for part in (
            "profile default (Ada L.)",
            "surface serverless",
            first_model,
            "control plane logged in",
        ):
            assert part in bar


async def test_a_choice_on_a_screen_is_written_off_the_ui_thread_and_announced_once(
    emulator_env, make_app, monkeypatch
):
    writers: list[threading.Thread] = []
    update = ProfileStore.update

    def recording_update(self, *args, **kwargs):
        writers.append(threading.current_thread())
        return update(self, *args, **kwargs)

    monkeypatch.setattr(ProfileStore, "update", recording_update)
    announced: list[ContextChanged] = []

    def hook(message):
        if isinstance(message, ContextChanged):
            announced.append(message)

    app = make_app(model="openai/gpt-oss-120b")
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        assert "model openai/gpt-oss-120b" in str(app.screen.query_one(ContextBar).render())
        announced.clear()
        app.screen.query_one(
            "#chat-model", Select
        ).value = "deepseek-ai/DeepSeek-R1-0528"  # as a user picks it
        await settle(pilot)
        assert len(announced) == 1
        assert writers and threading.main_thread() not in writers
        assert app.context.model == "deepseek-ai/DeepSeek-R1-0528"
        assert "model deepseek-ai/DeepSeek-R1-0528" in str(app.screen.query_one(ContextBar).render())
        assert ProfileStore().get("default").model == "deepseek-ai/DeepSeek-R1-0528"


async def test_a_failed_change_keeps_the_session_and_says_why(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        generation = app.session.generation
        app.request_session_change(SessionChange(profile="missing"))
        await settle(pilot)
        assert app.session.profile_name == "default" and app.session.generation == generation
        assert any("no profile named" in message for _, message, _ in notifications(app))


async def test_every_section_opens_by_its_key(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for section in SECTIONS:
            await pilot.press(section.key)
            await settle(pilot)
            assert app.current_section == section.id
            assert isinstance(app.screen, section.load())


@pytest.fixture
def extra_section(monkeypatch):
    """A second registered section (another Status screen), to see the palette switch sections."""
    extra = Section("status2", "Second Status", "f12", "tm_tui.screens.status:StatusScreen", "a test section")
    monkeypatch.setattr(sections, "SECTIONS", (*SECTIONS, extra))
    return extra


async def test_the_palette_opens_sections_by_name(emulator_env, make_app, extra_section):
    app = make_app()
    app.add_mode(extra_section.id, extra_section.make_screen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Open Second Status")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_section == "status2"
        hits = [hit.text async for hit in SectionCommands(app.screen).search("open")]
        assert {f"Open {s.title}" for s in sections.SECTIONS} <= set(hits)


async def test_screen_bindings_are_palette_commands(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Refresh", "Help", "Theme", "Quit"} <= titles


async def test_help_lists_app_and_screen_bindings(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        await pilot.press("f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.screen_title == "Status"
        assert ("r", "Refresh", "status.refresh") in help_screen.screen_rows
        app_ids = {binding_id for _, _, binding_id in help_screen.app_rows}
        assert {"app.quit", "app.help", *(f"section.{s.id}" for s in SECTIONS)} <= app_ids
        await pilot.press("escape")
        assert isinstance(app.screen, StatusScreen)


def test_every_binding_has_an_id():
    for binding in TmApp.BINDINGS + StatusScreen.BINDINGS + HelpScreen.BINDINGS:
        assert binding.id, binding


async def test_theme_is_remembered_across_restarts(emulator_env, make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
    config = (isolated_dirs["TM_TUI_CONFIG_DIR"] / "config.toml").read_text()
    assert 'theme = "nord"' in config

    again = make_app()  # the cache restores it before the first frame
    assert again.theme == "nord"

    (isolated_dirs["TM_TUI_DATA_DIR"] / "cache.json").unlink()
    third = make_app()  # without the cache, the settings file restores it once loaded
    async with third.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert third.theme == "nord"


async def test_cache_shows_the_last_profile_and_user_at_once(emulator_env, make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    cache = Cache.load(isolated_dirs["TM_TUI_DATA_DIR"] / "cache.json")
    assert cache.last_profile == "default"
    assert cache.profile("default").display_name == "Ada L."
    # Before any settings or network, the next start shows what was cached.
    assert make_app().context.display_name == "Ada L."


async def test_a_broken_tm_auth_json_is_reported_not_fatal(emulator, make_app, isolated_dirs):
    (isolated_dirs["TM_CONFIG_HOME"] / "auth.json").write_text("{not json")
    app = make_app(control_plane_url=emulator.control_plane_base_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        problems = [message for title, message, _ in notifications(app) if title == "Settings problem"]
        assert any("auth.json" in message and "invalid JSON" in message for message in problems)
        assert app.context.login == LoginState.NOT_LOGGED_IN


async def test_worker_errors_become_messages(emulator_env, make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def fails_readably() -> None:
            raise ServerError("The service is down.", status=503, request_id="req-1")

        async def has_a_bug() -> None:
            raise RuntimeError("boom")

        app.run_worker(fails_readably())
        app.run_worker(has_a_bug())
        await settle(pilot)
        assert app.is_running
        shown = {title: message for title, message, severity in notifications(app) if severity == "error"}
        assert "HTTP 503: The service is down. (request id req-1)" in shown["Server error"]
        assert "retry in a moment" in shown["Server error"]  # the error's hint
        assert "RuntimeError: boom" in shown["Unexpected error"]
        log = (isolated_dirs["TM_TUI_DATA_DIR"] / "errors.log").read_text()
        assert "RuntimeError: boom" in log and "Traceback" in log
        assert "The service is down" not in log  # expected errors are not logged as bugs


async def test_demo_mode_runs_its_own_emulator(make_app, isolated_dirs):
    app = make_app(demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.context.profile == "demo" and app.context.demo
        assert app.context.login == LoginState.LOGGED_IN
        await open_section(pilot, "status")
        assert all(row.status.ok for row in app.screen.query("StatusRow"))
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert not (isolated_dirs["TM_TUI_CONFIG_DIR"] / "config.toml").exists()  # the demo writes no settings


async def test_cache_json_written_by_the_app_is_valid(emulator_env, make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    data = json.loads((isolated_dirs["TM_TUI_DATA_DIR"] / "cache.json").read_text())
    assert data["version"] == 1 and data["last_profile"] == "default"


def test_f1_is_help_and_sections_take_the_next_f_keys_in_order():
    assert [s.key for s in SECTIONS] == [f"f{n}" for n in range(2, 2 + len(SECTIONS))]


@pytest.mark.parametrize("section_id", ["models", "account", "settings", "status"])
async def test_the_footer_fits_at_120_columns(emulator_env, make_app, section_id):
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, section_id)
        footer = app.screen.query_one(Footer)
        keys = list(footer.query(FooterKey))
        palette = next(key for key in keys if key.has_class("-command-palette"))
        shown = [key for key in keys if key is not palette]
        assert shown and all(key.region.right <= palette.region.x for key in shown)
        assert footer.max_scroll_x == 0
        # The screen's own actions and F1 are shown; the section keys stay bindings (see help).
        assert "f1" in [key.key for key in shown]
        assert not {s.key for s in SECTIONS} & {key.key for key in shown}
        active = app.screen.active_bindings.items()
        own = {key for key, bound in active if bound.node is app.screen and bound.binding.show}
        assert own and own <= {key.key for key in shown}


async def test_help_lists_the_screen_then_the_app_then_the_focused_widget(emulator_env, make_app):

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "models")
        await pilot.press("f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert ("⏎", "Select model", "models.select") in help_screen.screen_rows
        assert all(binding_id for _, _, binding_id in help_screen.screen_rows)
        generic = {description for _, description, _ in help_screen.widget_rows}
        assert {"Copy selected text", "Focus Next"} <= generic
        assert not generic & {description for _, description, _ in help_screen.screen_rows}
        groups = [
            plain(static).splitlines()[0].strip() for static in help_screen.query("#help-body > Static")
        ]
        assert groups[:3] == [
            "On this screen: Models",
            "Everywhere: help, sections, palette",
            "In the focused widget",
        ]


async def test_help_documents_the_f_keys_in_order(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        await pilot.press("f1")
        keys = [(key, binding_id) for key, _, binding_id in app.screen.app_rows if key.startswith("f")]
        assert keys == [("f1", "app.help"), *((s.key, f"section.{s.id}") for s in SECTIONS)]


async def run_command(pilot, title: str) -> None:
    """Run the palette command called `title` as the palette would, from the current screen."""
    hits = [hit async for hit in SectionCommands(pilot.app.screen).search(title)]
    await next(hit for hit in hits if hit.text == title).command()
    await settle(pilot)


async def test_main_actions_are_palette_commands_on_every_screen(emulator_env, make_app):
    from tm_tui.screens.account import AccountScreen
    from tm_tui.screens.models import ModelsScreen
    from tm_tui.screens.settings import SettingsScreen
    from tm_tui.widgets.model_table import ModelTable
    from tm_tui.widgets.profile_form import ProfileForm

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        titles = {hit.text async for hit in SectionCommands(app.screen).discover()}
        expected = {"Log in", "Log out", "Refresh token", "Set inference API key", "Select model"}
        assert expected | {"Switch profile", "New profile"} <= titles

        await run_command(pilot, "Select model")
        assert isinstance(app.screen, ModelsScreen) and isinstance(app.focused, ModelTable)

        await open_section(pilot, "status")
        await run_command(pilot, "Switch profile")
        assert isinstance(app.screen, SettingsScreen) and app.focused.id == "profiles"

        await open_section(pilot, "status")
        await run_command(pilot, "New profile")  # the section opens under the form
        assert isinstance(app.screen, ProfileForm) and isinstance(app.screen_stack[0], SettingsScreen)
        await pilot.press("escape")

        await open_section(pilot, "status")
        await run_command(pilot, "Set inference API key")
        assert isinstance(app.screen, AccountScreen) and app.focused.id == "key-input"

        # Each command is listed once, also on its own section's screen.
        palette = [c.title for c in app.get_system_commands(app.screen)]
        assert not {"Log in", "Log out", "Refresh token"} & set(palette)


async def test_log_in_from_the_palette_of_another_section(emulator_env, make_app):
    from tm_tui.screens.account import AccountScreen
    from tm_tui.widgets.login_panel import LoginPanel

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        await pilot.press("ctrl+p")
        await pilot.press(*"Log in")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await wait_until(pilot, lambda: palette.query_one("CommandList").option_count, "the palette's hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AccountScreen), "the Account section")
        panel = app.screen.query_one(LoginPanel)
        await wait_until(pilot, lambda: panel.is_waiting, "the login to start")
        assert panel.url.startswith(emulator_env.control_plane_base_url)
