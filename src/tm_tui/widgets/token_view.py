"""The token view: text with each token's span coloured, a token cursor, visible whitespace.

A Line API widget: the text is wrapped once into visual lines (character ranges) and only the lines on
screen are rendered, so a 100 KB text scrolls and moves its cursor as fast as a short one. Colours
keep neighbours apart (two shades alternate by position) and give one id one hue. A token that holds
only part of a character is underlined, and the cursor lights the whole character it shares.
Server text is rendered as plain segments: control characters become visible symbols, never escapes.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tm_tui.text_safety import hidden
from tm_tui.tokens.spans import RAW_BASE, Layout, Span

# (lighter, darker) background per hue; light text reads on all of them, in dark and light themes.
HUES: tuple[tuple[str, str], ...] = (
    ("#3d5a99", "#2b416f"),
    ("#8a4f7d", "#633859"),
    ("#3f7f5f", "#2c5b44"),
    ("#8c6a2e", "#654c20"),
    ("#2f7a85", "#215860"),
    ("#7a4a3a", "#58352a"),
)
PREFIX_BG = ("#1d7a3a", "#155a2b")
TAB_WIDTH = 4


def _visible(ch: str, whitespace: bool) -> str:
    """How one character is drawn: whitespace optionally as symbols, control characters always."""
    code = ord(ch)
    if ch == " ":
        return "·" if whitespace else " "
    if ch == "\t":
        return ("→" if whitespace else " ") + " " * (TAB_WIDTH - 1)
    if ch == "\n":
        return "↵" if whitespace else ""
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "␡"
    if 0x80 <= code < 0xA0 or hidden(ch):  # C1 controls, bidi controls, zero-width characters
        return f"<U+{code:04X}>"
    if RAW_BASE + 0x80 <= code <= RAW_BASE + 0xFF:  # a byte that is not UTF-8 (see tokens.spans)
        return f"<{code - RAW_BASE:02X}>"
    if 0xD800 <= code <= 0xDFFF:  # any other lone surrogate: never sent to the terminal
        return "\ufffd"
    return ch


def _plain(text: str) -> bool:
    """No character whose drawing differs in width from one cell."""
    return text.isascii() and text.isprintable()


def wrap(text: str, width: int, whitespace: bool) -> list[tuple[int, int]]:
    """Character ranges of the visual lines: split at newlines (kept at the line's end), then to fit
    `width` cells, after a space where there is one."""
    width = max(width, 8)
    lines: list[tuple[int, int]] = []
    start = 0
    total = len(text)
    while start <= total:
        newline = text.find("\n", start)
        end = total if newline < 0 else newline + 1
        body_end = end - 1 if newline >= 0 else end
        if _plain(text[start:body_end]):
            budget = width - (1 if newline >= 0 else 0)  # room for "↵"
            a = start
            while body_end - a > budget:
                space = text.rfind(" ", a, a + budget)  # break after a space when there is one
                stop = space + 1 if space > a else a + budget
                lines.append((a, stop))
                a = stop
            lines.append((a, end))
        elif cell_len(TokenView._draw(text, start, end, whitespace)) <= width:
            lines.append((start, end))  # most lines fit: no per-character measuring
        else:
            a, used, space = start, 0, -1
            for i in range(start, end):
                w = cell_len(_visible(text[i], whitespace))
                if used + w > width and i > a:
                    stop = space + 1 if space > a else i
                    lines.append((a, stop))
                    a, space = stop, -1
                    used = cell_len(TokenView._draw(text, a, i, whitespace))
                used += w
                if text[i] == " ":
                    space = i
            lines.append((a, end))
        if newline < 0:
            break
        start = end
        if start == total:
            break
    return lines


class TokenView(ScrollView, can_focus=True):
    """Shows a `Layout`; ←/→ Home/End move the token cursor and post `CursorMoved`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Prev token", id="token_view.prev", show=False),
        Binding("right", "move(1)", "Next token", id="token_view.next", show=False),
        Binding("home", "first", "First token", id="token_view.first", show=False),
        Binding("end", "last", "Last token", id="token_view.last", show=False),
    ]

    class CursorMoved(Message):
        def __init__(self, view: TokenView, span: Span | None) -> None:
            super().__init__()
            self.view = view
            self.span = span

        @property
        def control(self) -> TokenView:
            return self.view

    show_whitespace: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.layout_ = Layout("", [])
        self.cursor = 0
        self.prefix_upto = 0  # tokens before this index are highlighted as a shared prefix
        self._lines: list[tuple[int, int]] = []
        self._line_starts: list[int] = []
        self._wrapped_width = -1
        self._styles: dict[tuple[int, int, bool, bool, bool], Style] = {}

    # -- content ----------------------------------------------------------------------------------
    def show(self, layout: Layout, *, prefix_upto: int = 0) -> None:
        self.layout_ = layout
        self.prefix_upto = prefix_upto
        self.cursor = min(self.cursor, max(len(layout.spans) - 1, 0))
        self._rewrap()
        self.post_message(self.CursorMoved(self, self.current))

    @property
    def current(self) -> Span | None:
        spans = self.layout_.spans
        return spans[self.cursor] if spans else None

    def watch_show_whitespace(self) -> None:
        self._rewrap()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._wrapped_width:
            self._rewrap()

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width or self.size.width or 80
        self._wrapped_width = width
        self._lines = wrap(self.layout_.text, width, self.show_whitespace) if self.layout_.text else []
        self._line_starts = [a for a, _ in self._lines]
        self.virtual_size = Size(width, len(self._lines))
        self.refresh()

    # -- cursor -----------------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        self._go(self.cursor + step)

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(len(self.layout_.spans) - 1)

    def _go(self, index: int) -> None:
        spans = self.layout_.spans
        if not spans:
            return
        self.cursor = max(0, min(index, len(spans) - 1))
        line = max(bisect_right(self._line_starts, spans[self.cursor].start) - 1, 0)
        top, height = round(self.scroll_y), self.scrollable_content_region.height
        if not top <= line < top + height:
            self.scroll_to(y=max(line - height // 2, 0), animate=False)
        self.refresh()
        self.post_message(self.CursorMoved(self, spans[self.cursor]))

    # -- rendering --------------------------------------------------------------------------------
    def _style(self, span: Span, cursor_group: range) -> Style:
        key = (
            span.id % len(HUES),
            span.index % 2,
            span.index in cursor_group,
            span.index < self.prefix_upto,
            span.whole,
        )
        style = self._styles.get(key)
        if style is None:
            hue, shade, at_cursor, shared, whole = key
            bg = PREFIX_BG[shade] if shared else HUES[hue][shade]
            style = Style(bgcolor=bg, color="#f0f0f0", underline=not whole)
            if at_cursor:
                style += Style(bgcolor="#f0f0f0", color="#101010", bold=True)
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = round(self.scroll_y) + y
        layout = self.layout_
        if not self._lines:
            if y == 0:
                return Strip([Segment("Nothing tokenized yet.", base + Style(italic=True))]).crop_extend(
                    0, width, base
                )
            return Strip.blank(width, base)
        if row >= len(self._lines):
            return Strip.blank(width, base)
        a, b = self._lines[row]
        spans = layout.spans
        group = layout.group(self.cursor) if spans else range(0)
        ws = self.show_whitespace
        segments: list[Segment] = []
        c = a
        i = layout.first_ending_after(a)
        while c < b:
            if i >= len(spans) or spans[i].start > c:
                stop = b if i >= len(spans) else min(spans[i].start, b)
                segments.append(Segment(self._draw(layout.text, c, stop, ws), base))
                c = stop
                continue
            stop = min(spans[i].end, b)
            if stop > c:
                segments.append(Segment(self._draw(layout.text, c, stop, ws), self._style(spans[i], group)))
                c = stop
            i += 1
        return Strip(segments).crop_extend(0, width, base)

    @staticmethod
    def _draw(text: str, start: int, end: int, whitespace: bool) -> str:
        part = text[start:end]
        if _plain(part) and not whitespace:
            return part
        return "".join(_visible(ch, whitespace) for ch in part)
