"""`PagedTable`: a read-only table that draws only the rows on screen, for lists the server pages.

A `DataTable` builds every row it holds (10,000 transactions take seconds); this keeps the rows as
a plain list of any objects and turns only the visible ones into cells (`cells(row)`), so adding a
page, filtering or sorting is a list operation. It asks for the next page itself: `NeedMore` is
posted when the cursor or the scroll comes within a screenful of the last loaded row, or within
`read_ahead` rows once the user has moved from the top, and again after a page is appended if that
is still so: with `read_ahead` set to the page size, the next page is usually in before the user
gets there. Cells are `rich.text.Text`
(never markup).

Drawn lines are cached (by row, cursor, width and style), and the styles are looked up once per
frame: `rich_style` walks the DOM and costs more than drawing a line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Row = Sequence[Text]


@dataclass(frozen=True)
class Column:
    title: str
    width: int | None = None  # None: takes the width left over (one such column at most)
    justify: str = "left"


class PagedTable(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False, id="paged_table.up"),
        Binding("down", "move(1)", "Down", show=False, id="paged_table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="paged_table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="paged_table.page_down"),
        Binding("home,ctrl+home", "first", "First", show=False, id="paged_table.first"),
        Binding("end,ctrl+end", "last", "Last", show=False, id="paged_table.last"),
        Binding("enter", "select", "Select", show=False, id="paged_table.select"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"paged-table--header", "paged-table--cursor"}
    DEFAULT_CSS = """
    PagedTable { height: 1fr; overflow-x: hidden; }  /* rows are cut to the width, never scrolled */
    PagedTable > .paged-table--header { text-style: bold; color: $text-accent; }
    PagedTable > .paged-table--cursor { background: $block-cursor-blurred-background; }
    PagedTable:focus > .paged-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    """
    cursor: reactive[int] = reactive(0, always_update=True)

    class NeedMore(Message):
        """The user is near the last loaded row: load the next page if there is one."""

    class Highlighted(Message):
        def __init__(self, table: PagedTable, index: int) -> None:
            super().__init__()
            self.table, self.index = table, index

    class Selected(Highlighted):
        pass

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        cells: Callable[[Any], Row] = lambda row: row,
        read_ahead: int = 0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.read_ahead = read_ahead
        self.columns = list(columns)
        self.cells = cells  # a row object → its cells, called only for rows drawn
        self.rows: list[Any] = []
        self.placeholder = Text("")  # shown when there are no rows
        self._lines: LRUCache[tuple, Strip] = LRUCache(1024)
        self._styles: tuple[Style, Style, Style] = (Style(), Style(), Style())
        self._styles_for: tuple | None = None  # (focus, theme) the styles were looked up for

    # -- data --------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Any], *, keep_cursor: bool = False) -> None:
        self.rows = list(rows)
        self._lines.clear()
        self._resize()
        self.cursor = min(self.cursor, max(len(self.rows) - 1, 0)) if keep_cursor else 0
        if not keep_cursor:
            self.scroll_to(y=0, animate=False)

    def append_rows(self, rows: Sequence[Any]) -> None:
        self.rows.extend(rows)
        self._resize()
        self.refresh()
        self._check_more()

    def replace_row(self, index: int, row: Any) -> None:
        """One row changed in place (e.g. a ticket's status); the rows keep their order and place."""
        self.rows[index] = row
        self._lines.clear()  # a screenful of lines, drawn again on the next refresh
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)  # +1: the header line
        self.refresh()

    @property
    def body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    # -- rendering ---------------------------------------------------------------------------------
    def _widths(self, total: int) -> list[int]:
        fixed = sum(c.width or 0 for c in self.columns) + len(self.columns) - 1
        return [c.width if c.width is not None else max(total - fixed, 4) for c in self.columns]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_for = None

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (self.has_focus, self.app.theme)
        if key != self._styles_for:
            base = self.rich_style
            self._styles = (
                base,
                base + self.get_component_rich_style("paged-table--header"),
                base + self.get_component_rich_style("paged-table--cursor"),
            )
            self._styles_for = key
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base, header, cursor = self._styles
        if y == 0:
            index, style = -1, header
        else:
            index = int(self.scroll_offset.y) + y - 1
            if index >= len(self.rows):
                if not self.rows and y == 1:
                    return self._strip([self.placeholder], [width], base)
                return Strip.blank(width, base)
            style = cursor if index == self.cursor else base
        key = (index, width, style)
        strip = self._lines.get(key)
        if strip is None:
            cells: Row = [Text(c.title) for c in self.columns] if index < 0 else self.cells(self.rows[index])
            strip = self._strip(cells, self._widths(width), style).extend_cell_length(width, style)
            self._lines[key] = strip
        return strip

    def _strip(self, cells: Row, widths: list[int], style: Style) -> Strip:
        line = Text(no_wrap=True, end="")
        for i, (cell, width) in enumerate(zip(cells, widths, strict=False)):
            if i:
                line.append(" ")
            part = cell.copy()
            part.truncate(width, overflow="ellipsis")
            justify = self.columns[i].justify if i < len(self.columns) else "left"
            pad = width - part.cell_len
            if justify == "right":
                part.pad_left(pad)
            else:
                part.pad_right(pad)
            line.append_text(part)
        segments = list(Segment.apply_style(line.render(self.app.console), style))
        return Strip(segments).crop(0, sum(widths) + len(widths) - 1)

    # -- cursor and scrolling ----------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + self.body_height:
            self.scroll_to(y=new - self.body_height + 1, animate=False)
        self.refresh()
        if self.rows:
            self.post_message(self.Highlighted(self, new))
        self._check_more()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_more()

    def _check_more(self) -> None:
        top = int(self.scroll_offset.y)
        bottom = max(top + self.body_height, self.cursor + 1)
        # Reading ahead starts once the user moves: opening the list loads only its first page.
        ahead = max(self.body_height, self.read_ahead if (top or self.cursor) else 0)
        if bottom + ahead >= len(self.rows):
            self.post_message(self.NeedMore())

    def on_resize(self, event: events.Resize) -> None:
        self._resize()

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * self.body_height)

    def action_first(self) -> None:
        self.action_move(-len(self.rows))

    def action_last(self) -> None:
        """The last loaded row; reaching it asks for the next page (so End again goes further)."""
        self.action_move(len(self.rows))

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor = index
