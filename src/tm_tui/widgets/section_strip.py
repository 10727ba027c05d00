"""The strip under the context bar: every section with its key, the current one highlighted.

Each entry is a click target (`app.open_section`). It renders for its own width: when the full
titles do not fit, the separators go, then the "F", then the other sections' titles are cut (the
current one stays whole), so the strip fits 80 columns however many sections are registered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from textual.content import Content, Span
from textual.style import Style
from textual.widget import Widget

CURRENT_STYLE = "bold $text-accent on $accent 25%"
KEY_STYLE = "$text-muted"


class StripEntry(Protocol):
    """What the strip needs of a section (`screens.sections.Section`; widgets do not import screens)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def key(self) -> str: ...


def _entry(section: StripEntry, current: bool, with_f: bool, room: int | None) -> Content:
    key = section.key.upper() if with_f else section.key.upper().removeprefix("F")
    title = section.title if current or room is None else _cut(section.title, room)
    label = f" {key} {title} " if title else f" {key} "
    click = Style.from_meta({"@click": f"app.open_section('{section.id}')"})
    spans = [Span(0, len(label), click)]
    spans.append(Span(0, len(label), CURRENT_STYLE) if current else Span(1, 1 + len(key), KEY_STYLE))
    return Content(label, spans)


def _cut(title: str, room: int) -> str:
    # A cut title says it was cut: "Mod…" rather than "Mode" (which reads as Chat's mode).
    if len(title) <= room:
        return title
    return title[: room - 1] + "…" if room >= 3 else title[:room]


def _layouts(sections: Sequence[StripEntry]) -> Iterator[tuple[str, bool, int | None]]:
    """(separator, "F" before keys, title room of the other sections), widest first."""
    yield " ", True, None
    yield "", True, None
    yield "", False, None
    for room in range(max(len(s.title) for s in sections) - 1, -1, -1):
        yield "", False, room


def render_strip(sections: Sequence[StripEntry], current: str, width: int | None = None) -> Content:
    """The strip for section `current` in at most `width` cells (the narrowest layout otherwise)."""
    content = Content("")
    for separator, with_f, room in _layouts(sections):
        content = Content(separator).join(_entry(s, s.id == current, with_f, room) for s in sections)
        if width is None or content.cell_length <= width:
            break
    return content


class SectionStrip(Widget):
    """One line and one widget, so it costs the first frame next to nothing."""

    def __init__(self, sections: Sequence[StripEntry], current: str) -> None:
        super().__init__()
        self.sections = sections
        self.current = current

    def render(self) -> Content:
        return render_strip(self.sections, self.current, self.size.width)
