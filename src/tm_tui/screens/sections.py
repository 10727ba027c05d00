"""The registry of sections and the base class every section screen extends.

A section is a full screen reachable by its F-key and by a palette command "Open <title>". To add
one: write `screens/<name>.py` with a `SectionScreen` subclass that implements `compose_body`, and
add one `Section` entry below. Screen modules are imported only when first opened, so a section
costs nothing at start-up. List only sections that work — no placeholders. The app opens on Chat
when it is registered, otherwise on the first entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Footer

from tm_tui.widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from tm_tui.app import TmApp
    from tm_tui.session import AppContext, Session


@dataclass(frozen=True)
class Section:
    id: str  # mode name and binding id suffix
    title: str  # shown in the footer, palette ("Open <title>") and help
    key: str  # fixed per section so keys do not move as sections are added
    target: str  # "module:Class", imported on first use
    summary: str  # one line for the palette and help

    def load(self) -> type[SectionScreen]:
        module, _, name = self.target.partition(":")
        return getattr(import_module(module), name)

    def make_screen(self) -> SectionScreen:
        return self.load()()

    def css_paths(self) -> list[str | PurePath]:
        """The screen's own stylesheet files (absolute paths, see `SectionScreen`)."""
        css = self.load().CSS_PATH
        return [] if css is None else list(css) if isinstance(css, list) else [css]


# Keys reserved for sections still to come: tokenizer f3, models f4, billing f5,
# account f6, support f7, settings f9.
SECTIONS: tuple[Section, ...] = (
    Section(
        "chat",
        "Chat",
        "f2",
        "tm_tui.screens.chat:ChatScreen",
        "Streaming chat playground: parameters, metrics and cost, history, export, compare",
    ),
    Section(
        "status",
        "Status",
        "f8",
        "tm_tui.screens.status:StatusScreen",
        "Health, version and latency of serverless, on-demand and the control plane",
    ),
    Section(
        "models",
        "Models",
        "f4",
        "tm_tui.screens.models:ModelsScreen",
        "Choose the serverless model or an on-demand deployment, with prices",
    ),
    Section(
        "account",
        "Account",
        "f6",
        "tm_tui.screens.account:AccountScreen",
        "Credentials and where they come from, browser login, inference API key",
    ),
    Section(
        "settings",
        "Settings",
        "f9",
        "tm_tui.screens.settings:SettingsScreen",
        "Profiles: create, edit, switch, delete; theme",
    ),
)

PREFERRED_DEFAULT = "chat"


def default_section(sections: Iterable[Section] = SECTIONS) -> Section:
    sections = tuple(sections)
    return next((s for s in sections if s.id == PREFERRED_DEFAULT), sections[0])


def section(section_id: str) -> Section:
    return next(s for s in SECTIONS if s.id == section_id)


class SectionScreen(Screen):
    """Context bar on top, footer below, the section's own widgets between.

    A section's `CSS_PATH` must be absolute (`Path(__file__).with_name("x.tcss")`): the app reads
    the first section's stylesheet together with its own, to parse CSS only once before the first
    frame, and Textual would resolve a relative path against the wrong module.

    Subclasses implement `compose_body()` and, to load data, `session_changed(session)`: it runs
    once the session exists (after the first frame) and again whenever its clients are rebuilt
    (profile switch, login, reload). `context_changed(context)` runs on every context change.
    """

    SECTION_ID: ClassVar[str]

    app: TmApp  # type: ignore[assignment]  # narrows Screen.app for subclasses

    def __init__(self) -> None:
        super().__init__()
        self._seen_generation = 0

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._on_app_context, init=True)

    def _on_app_context(self, context: AppContext) -> None:
        self.context_changed(context)
        session = self.app.session
        if session is not None and context.generation != self._seen_generation:
            self._seen_generation = context.generation
            self.session_changed(session)

    def context_changed(self, context: AppContext) -> None:
        """Override to follow profile / surface / model / login changes."""

    def session_changed(self, session: Session) -> None:
        """Override to (re)load the section's data from the session's clients."""

    @property
    def section(self) -> Section:
        return section(self.SECTION_ID)


class SectionCommands(Provider):
    """Palette commands "Open <Section>", one per registered section."""

    def _commands(self) -> Iterable[tuple[str, Section]]:
        return ((f"Open {s.title}", s) for s in SECTIONS)

    def _opener(self, section: Section):
        return lambda: self.app.run_action(f"open_section('{section.id}')")

    async def discover(self) -> Hits:
        for name, s in self._commands():
            yield DiscoveryHit(name, self._opener(s), help=s.summary)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, s in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), self._opener(s), text=name, help=s.summary)
