"""`TmApp`: the shell every section plugs into.

Start-up order (first paint never waits): compose the default section from what is known locally
(flags and cache.json: last profile, theme, display name) → first frame → a thread worker imports
the heavy layers, starts the demo emulator if asked and resolves settings → the `Session` is built
→ `ContextChanged` refreshes the context bar and every section's `session_changed()` loads data.

Sections are Textual modes (one screen stack each), created on first visit from `screens.sections`.
Sections change the session only through `change_session` / `request_session_change` (one owner).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.worker import WorkerFailed

from tm_tui.config.secrets import scrub
from tm_tui.screens.sections import (
    SECTIONS,
    SectionCommands,
    SectionScreen,
    default_section,
    global_commands,
)
from tm_tui.session import Session, SessionChange
from tm_tui.state import AppContext, ContextChanged, LaunchOptions
from tm_tui.store.cache import Cache
from tm_tui.surface import Surface
from tm_tui.widgets.error_panel import describe

if TYPE_CHECKING:
    from tm_tui.config import ResolvedSettings

ERROR_LOG = "errors.log"
HERE = Path(__file__).parent

log = logging.getLogger(__name__)


class TmApp(App[None]):
    TITLE = "tm-tui"
    # Absolute, so subclasses defined elsewhere (tests, scripts) still find the files. The first
    # section's own stylesheet is read here too: loaded later, it would make Textual parse every
    # stylesheet a second time before the first frame.
    CSS_PATH: ClassVar = [
        HERE / "app.tcss",
        HERE / "widgets/context_bar.tcss",
        HERE / "widgets/section_strip.tcss",
        HERE / "widgets/error_panel.tcss",
        *default_section().css_paths(),
    ]
    COMMANDS = App.COMMANDS | {SectionCommands}
    # The first section is the default mode's screen (`get_default_screen`); a screen made for a
    # named mode costs a full CSS refresh before the first frame. Every other section is a mode.
    MODES: ClassVar = {s.id: s.make_screen for s in SECTIONS if s != default_section()}
    # The footer shows the screen's own actions, then F1: the section keys and quit would not fit
    # beside them (120 columns), so they stay out of it and are listed by help (F1) and the palette.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help.alt"),
        *(
            # Priority: a focused text area must not swallow them (TextArea binds f6/f7 itself).
            Binding(
                s.key,
                f"open_section('{s.id}')",
                s.title,
                show=False,
                id=f"section.{s.id}",
                tooltip=s.summary,
                priority=True,
            )
            for s in SECTIONS
        ),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", priority=True),
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
        self._cache_write_reported = False
        self._resources = ExitStack()  # the demo emulator, closed on exit
        self._session_lock = asyncio.Lock()  # session changes run one at a time
        # The default mode's stack is made at start (`get_default_screen`); `switch_mode` accepts only
        # names in `_modes`, and `add_mode` refuses "_default", so register it here to allow going back.
        self._modes[self.DEFAULT_MODE] = default_section().make_screen
        self.set_reactive(TmApp.context, self._initial_context())
        if self.cache.theme in self.available_themes:
            self.theme = self.cache.theme

    # -- start-up --------------------------------------------------------------------------------
    def _initial_context(self) -> AppContext:
        """What the context bar shows before settings are resolved: flags, then the cache."""
        opts = self.options
        profile = "demo" if opts.demo else opts.profile or self.cache.last_profile or "default"
        return AppContext(
            profile=profile,
            surface=opts.surface or Surface.SERVERLESS,
            model=opts.model,
            display_name=self.cache.profile(profile).display_name,
            demo=opts.demo,
        )

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda theme: self._remember_theme(theme.name))

    def on_ready(self) -> None:
        """The first frame is on screen; only now touch the network and heavy imports (a thread:
        started earlier, it would hold the GIL while the first frame is built)."""
        if self.cache.problem is not None:
            self._notify_file_problem(f"{self.cache.problem}\nThe start-up cache is not used this time.")
        self.start_session()

    def _notify_file_problem(self, message: str) -> None:
        self.notify(message, title="File problem", severity="warning", timeout=15, markup=False)

    @work(thread=True, exclusive=True, group="session")
    def start_session(self) -> None:
        # A thread: the imports, the emulator start-up and the file reads never block the UI.
        from tm_tui.config import ConfigFileError, ProfileStore
        from tm_tui.session import resolve_launch_settings

        settings = resolve_launch_settings(self.options, self.env, self._resources)
        try:
            theme = ProfileStore(settings.tui_config_dir).ui_prefs().theme
        except ConfigFileError:  # already among the settings problems
            theme = None
        self.call_from_thread(self._install_session, settings, theme)

    def _install_session(self, settings: ResolvedSettings, theme: str | None) -> None:
        session = Session(settings, options=self.options, env=self.env)
        self.session = session
        self.show_problems(session)
        if theme and theme != self.theme and theme in self.available_themes:
            self.theme = theme  # the settings file wins over the cache's hint
        self.post_message(ContextChanged())
        self.check_login()

    def show_problems(self, session: Session) -> None:
        for problem in session.problems:
            self.notify(problem, title="Settings problem", severity="warning", timeout=15, markup=False)

    @work(exclusive=True, group="login")
    async def check_login(self) -> None:
        """Ask the control plane who we are: it fills the login state and the display name."""
        if self.session is not None:
            await self.session.check_login()
            self.post_message(ContextChanged())

    # -- session changes: the one owner ---------------------------------------------------------
    async def change_session[T](self, change: SessionChange[T]) -> T | None:
        """The one way to change the session (profile, surface, model, credentials): one change at
        a time, its file work in a thread, then `ContextChanged` once — even when it fails, since a
        file may have been written. Awaited by a screen's worker, which gets what `change.save`
        returned, or the error (`ProfileError`, `ConfigFileError`...) with nothing swapped."""
        session = self.session
        if session is None:
            raise RuntimeError("the session is not ready")  # screens act only once it exists
        # Shielded: a requester cancelled midway (e.g. an exclusive worker) must not leave files
        # written but the session not rebuilt.
        return await asyncio.shield(self._change_session(session, change))

    async def _change_session[T](self, session: Session, change: SessionChange[T]) -> T | None:
        async with self._session_lock:
            try:
                return await session.change(change)
            finally:
                self.post_message(ContextChanged())

    @work(group="session-change")  # not exclusive: every request is made, in order (the lock)
    async def request_session_change(self, change: SessionChange[None]) -> None:
        """`change_session` from a plain handler (e.g. a select); an error becomes a notification."""
        await self.change_session(change)

    # -- context: the one writer -----------------------------------------------------------------
    def on_context_changed(self, message: ContextChanged) -> None:
        message.stop()
        session = self.session
        if session is None:
            return
        context = session.context()
        cached = self.cache.profile(context.profile)
        if context.display_name is None and cached.display_name:
            context = AppContext(**{**vars(context), "display_name": cached.display_name})
        self.context = context
        if self.cache.last_profile != context.profile or (
            session.display_name and session.display_name != cached.display_name
        ):
            self.cache.last_profile = context.profile
            self.cache.remember_display_name(context.profile, session.display_name or cached.display_name)
            self.save_cache()

    @work(thread=True, exclusive=True, group="cache")
    def save_cache(self) -> None:
        from tm_tui.config import ConfigFileError

        try:
            moved = self.cache.save()
        except ConfigFileError as error:  # the cache is only a hint: say so once, keep it in memory
            if not self._cache_write_reported:
                self._cache_write_reported = True
                self.call_from_thread(self._notify_file_problem, str(error))
            return
        if moved is not None:
            self.call_from_thread(
                self._notify_file_problem, f"The start-up cache could not be parsed; it was moved aside to {moved}."
            )

    # -- actions ---------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return default_section().make_screen()

    @property
    def current_section(self) -> str:
        return default_section().id if self.current_mode == self.DEFAULT_MODE else self.current_mode

    def action_open_section(self, section_id: str, action: str = "") -> None:
        """Show a section; `action`, if given, then runs on its screen (a global palette command)."""
        self.switch_mode(self.DEFAULT_MODE if section_id == default_section().id else section_id)
        screen = self.screen_stack[0]  # the section itself, even under a modal
        if action and isinstance(screen, SectionScreen):
            screen.run_when_ready(action)

    def action_help(self) -> None:
        from tm_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.for_screen(self.screen))

    async def action_quit(self) -> None:
        # Instant: nothing is awaited here; the clients and the emulator close on unmount.
        self.exit()

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.aclose()  # closes idle sockets only: no network round trip
        # Stopping the emulator may wait for open streams; never make quitting wait for it.
        threading.Thread(target=self._resources.close, name="tm-tui-cleanup", daemon=True).start()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        help_command = SystemCommand("Help", "List every key of this screen and of the app", self.action_help)
        offered: set[str] = set()  # titles: each command is listed once
        for command in (*super().get_system_commands(screen), help_command):
            offered.add(command.title)
            yield command
        # Every binding of the current screen and its widgets is a palette command too, except the
        # section's app-wide commands, which `SectionCommands` offers on every screen.
        section_id = screen.SECTION_ID if isinstance(screen, SectionScreen) else ""
        covered = global_commands(section_id)
        offered |= {command.title for command in covered}
        seen = {command.action for command in covered}
        for active in screen.active_bindings.values():
            binding = active.binding
            if active.node is self or not binding.description:
                continue
            if binding.action in seen or binding.description in offered:
                continue
            seen.add(binding.action)
            offered.add(binding.description)
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"{binding.description} ({self.get_key_display(binding)})",
                lambda node=active.node, action=binding.action: self.run_action(action, node),
            )

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's "Screenshot": saved in `<data dir>/screenshots` (created as needed) rather than
        Textual's ~/Downloads, which may not exist; the path is shown."""
        from tm_tui.config import paths

        directory = Path(path) if path else paths.tui_data_dir(self.env) / "screenshots"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            saved = self.save_screenshot(filename, str(directory), time_format)
        except OSError as error:
            self.notify(
                f"Not saved: {error.strerror or error}", title="Screenshot", severity="error", markup=False
            )
            return None
        self.notify(f"Saved to {saved}", title="Screenshot", markup=False)
        return saved

    # -- theme -----------------------------------------------------------------------------------
    def _remember_theme(self, name: str) -> None:
        if name != self.cache.theme:
            self.cache.theme = name
            self.save_cache()
            self._save_theme(name)

    @work(thread=True, exclusive=True, group="theme")
    def _save_theme(self, name: str) -> None:
        from tm_tui.config import ProfileStore, paths

        ProfileStore(paths.tui_config_dir(self.env)).set_ui_prefs(theme=name)

    # -- errors ----------------------------------------------------------------------------------
    def report_error(self, error: BaseException) -> None:
        """Show any error readably; unexpected ones also go to errors.log with their traceback."""
        info = describe(error)
        message = f"{info.message}\n{info.hint}" if info.hint else info.message
        if not info.expected:
            path = self._log_unexpected(error)
            message += f"\nDetails are in {path}." if path else ""
        self.notify(message, title=info.title, severity="error", timeout=8, markup=False)

    def error_log_path(self) -> Path:
        from tm_tui.config import paths

        return paths.tui_data_dir(self.env) / ERROR_LOG

    def _log_unexpected(self, error: BaseException) -> Path | None:
        try:
            path = self.error_log_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                details = scrub("".join(traceback.format_exception(error)))
                handle.write(time.strftime("%Y-%m-%d %H:%M:%S ") + details)
        except OSError:
            log.exception("could not write the error log")
            return None
        return path

    def _handle_exception(self, error: Exception) -> None:
        # Textual has no public hook for failed workers: by default any worker error exits the app.
        # Worker failures become readable messages instead; anything else keeps Textual's behaviour.
        if isinstance(error, WorkerFailed):
            self.report_error(error.error)
            return
        self._log_unexpected(error)
        super()._handle_exception(error)
