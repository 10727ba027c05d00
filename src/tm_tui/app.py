"""`TmApp`: the shell every section plugs into.

Start-up order (first paint never waits): compose the default section from what is known locally
(flags, cache.json, the saved theme) → first frame → a worker imports the heavy layers, starts the
demo emulator if asked, resolves settings and builds the `Session` → `ContextChanged` refreshes the
context bar and every section's `session_changed()` loads its data.

Sections are Textual modes (one screen stack each), created on first visit from `screens.sections`.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.worker import WorkerFailed

from tm_tui.cli import LaunchOptions
from tm_tui.config.paths import TUI_CONFIG_FILE, tui_config_dir, tui_data_dir
from tm_tui.config.readers import load_toml
from tm_tui.screens.sections import SECTIONS, SectionCommands, default_section
from tm_tui.store.cache import Cache
from tm_tui.widgets.context_bar import AppContext, ContextChanged, LoginState
from tm_tui.widgets.error_panel import describe

if TYPE_CHECKING:
    from tm_tui.session import Session

# Benchmark hook: write the wall-clock time of the first frame to this file, then exit.
FIRST_PAINT_ENV = "TM_TUI_FIRST_PAINT_FILE"
ERROR_LOG = "errors.log"

log = logging.getLogger(__name__)


class TmApp(App[None]):
    TITLE = "tm-tui"
    CSS_PATH: ClassVar = ["app.tcss", "widgets/context_bar.tcss", "widgets/error_panel.tcss"]
    COMMANDS = App.COMMANDS | {SectionCommands}
    MODES: ClassVar = {s.id: s.make_screen for s in SECTIONS}
    DEFAULT_MODE: ClassVar[str] = default_section().id
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help.alt"),
        *(
            Binding(s.key, f"open_section('{s.id}')", s.title, id=f"section.{s.id}", tooltip=s.summary)
            for s in SECTIONS
        ),
    ]

    context: var[AppContext] = var(AppContext(profile="default"), init=False)
    session: var[Session | None] = var(None, init=False)

    def __init__(
        self,
        options: LaunchOptions | None = None,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        self.options = options or LaunchOptions()
        self.env: Mapping[str, str] = os.environ if env is None else env
        # Status latencies use this clock, so tests and snapshots can make them deterministic.
        self.clock = clock
        self.cache = Cache.load(Cache.default_path(self.env))
        self._resources = ExitStack()  # the demo emulator, closed on exit
        self.set_reactive(TmApp.context, self._initial_context())
        theme = self._saved_theme()
        if theme in self.available_themes:
            self.theme = theme

    # -- start-up --------------------------------------------------------------------------------
    def _initial_context(self) -> AppContext:
        """What the context bar shows before settings are resolved: flags, then the cache."""
        opts = self.options
        profile = "demo" if opts.demo else opts.profile or self.cache.last_profile or "default"
        surface = (opts.surface or "serverless").replace("-", "_")
        return AppContext(
            profile=profile,
            surface=surface,
            model=opts.model,
            display_name=self.cache.profile(profile).display_name,
            demo=opts.demo,
        )

    def _saved_theme(self) -> str | None:
        # A plain TOML read: the full settings model (pydantic) loads only after the first frame.
        try:
            ui = (load_toml(tui_config_dir(self.env) / TUI_CONFIG_FILE) or {}).get("ui")
        except Exception:  # a broken file is reported once settings are resolved
            return None
        theme = ui.get("theme") if isinstance(ui, dict) else None
        return theme if isinstance(theme, str) else None

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda theme: self._remember_theme(theme.name))

    def on_ready(self) -> None:
        """The first frame is on screen; only now touch the network and heavy imports."""
        marker = self.env.get(FIRST_PAINT_ENV)
        if marker:
            with open(marker, "w", encoding="utf-8") as handle:
                handle.write(repr(time.time()))
            self.exit()
            return
        self.start_session()

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def start_session(self) -> None:
        # In a thread: the imports, the emulator start and the file reads never block the UI.
        from tm_tui.session import build_session_settings

        try:
            settings = build_session_settings(self.options, self.env, self._resources)
        except Exception as error:
            self.call_from_thread(self.report_error, error)
            return
        self.call_from_thread(self._install_session, settings)

    async def _install_session(self, settings: object) -> None:
        from tm_tui.session import Session

        session = Session(settings, env=self.env)  # type: ignore[arg-type]
        for problem in session.problems:
            self.notify(problem, title="Settings problem", severity="warning", timeout=15, markup=False)
        self.session = session
        self.post_message(ContextChanged())
        self.check_login()

    @work(exclusive=True, group="login", exit_on_error=False)
    async def check_login(self) -> None:
        """Ask the control plane who we are: it fills the login state and the display name."""
        session = self.session
        if session is None:
            return
        await session.check_login()
        if session.display_name:
            self.cache.remember_display_name(session.profile_name, session.display_name)
        self.post_message(ContextChanged())

    # -- context: the one writer -----------------------------------------------------------------
    def on_context_changed(self, message: ContextChanged) -> None:
        message.stop()
        session = self.session
        if session is None:
            return
        self.context = AppContext(
            profile=session.profile_name,
            surface=session.surface,
            model=session.model(session.surface),
            login=session.login_state,
            display_name=session.display_name or self.cache.profile(session.profile_name).display_name,
            demo=session.demo,
            generation=session.generation,
        )
        self.cache.last_profile = session.profile_name
        self.save_cache()

    @work(thread=True, group="cache", exit_on_error=False)
    def save_cache(self) -> None:
        self.cache.save()

    # -- actions ---------------------------------------------------------------------------------
    def action_open_section(self, section_id: str) -> None:
        self.switch_mode(section_id)

    def action_help(self) -> None:
        from tm_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.for_screen(self.screen))

    async def action_quit(self) -> None:
        # Instant: nothing is awaited; clients and the emulator are closed on unmount.
        self.exit()

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.aclose()
        self._resources.close()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "List every key of this screen and of the app", self.action_help)
        # Every binding of the current screen (and its widgets) becomes a palette command too.
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node is self or not binding.description or not active.enabled:
                continue
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"{binding.description} ({self.get_key_display(binding)})",
                lambda node=active.node, action=binding.action: self.run_action(action, node),
            )

    # -- theme -----------------------------------------------------------------------------------
    def _remember_theme(self, name: str) -> None:
        self._save_theme(name)

    @work(thread=True, exclusive=True, group="theme", exit_on_error=False)
    def _save_theme(self, name: str) -> None:
        from tm_tui.config.profile_store import ProfileStore

        try:
            ProfileStore(tui_config_dir(self.env)).set_ui_prefs(theme=name)
        except Exception as error:
            self.call_from_thread(self.report_error, error)

    # -- errors ----------------------------------------------------------------------------------
    def report_error(self, error: BaseException) -> None:
        """Show any error readably; unexpected ones also go to errors.log with their traceback."""
        info = describe(error)
        from tm_tui.api.errors import TmError

        if not isinstance(error, TmError | OSError):
            self._log_unexpected(error)
            info_message = f"{info.message}\nDetails were written to {tui_data_dir(self.env) / ERROR_LOG}."
        else:
            info_message = f"{info.message}\n{info.hint}" if info.hint else info.message
        self.notify(info_message, title=info.title, severity="error", timeout=8, markup=False)

    def _log_unexpected(self, error: BaseException) -> None:
        try:
            path = tui_data_dir(self.env) / ERROR_LOG
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(time.strftime("%Y-%m-%d %H:%M:%S ") + "".join(traceback.format_exception(error)))
        except OSError:
            log.exception("could not write the error log")

    def _handle_exception(self, error: Exception) -> None:
        # Textual has no public hook for failed workers: by default any worker error exits the app.
        # Worker failures become readable messages instead; everything else keeps Textual's behaviour.
        if isinstance(error, WorkerFailed):
            self.report_error(error.error)
            return
        self._log_unexpected(error)
        super()._handle_exception(error)
