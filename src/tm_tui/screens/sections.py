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
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Footer

from tm_tui.widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from tm_tui.app import TmApp


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


# Keys reserved for sections still to come: chat f2, tokenizer f3, models f4, billing f5,
# account f6, support f7, settings f9.
SECTIONS: tuple[Section, ...] = (
    Section(
        "status",
        "Status",
        "f8",
        "tm_tui.screens.status:StatusScreen",
        "Health, version and latency of serverless, on-demand and the control plane",
    ),
)

PREFERRED_DEFAULT = "chat"


def default_section(sections: Iterable[Section] = SECTIONS) -> Section:
    sections = tuple(sections)
    return next((s for s in sections if s.id == PREFERRED_DEFAULT), sections[0])


def section(section_id: str) -> Section:
    return next(s for s in SECTIONS if s.id == section_id)


class SectionScreen(Screen):
    """Context bar on top, footer below, the section's own widgets between."""

    SECTION_ID: ClassVar[str]

    app: TmApp  # type: ignore[assignment]  # narrows Screen.app for subclasses

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

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
