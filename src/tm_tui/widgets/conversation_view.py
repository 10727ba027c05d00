"""The conversation: one chat's messages, mounted a window at a time, and the keys that page it.

Mounting a message costs several milliseconds (its Markdown is parsed and built) and every layout
walks every mounted widget, so a long conversation is never mounted whole. When it opens, its last
`RENDERED_TAIL` messages are; when the view reaches the top (or the bottom) of what is mounted,
`EARLIER_PAGE` more come in there, and past `MOUNTED_WINDOW` the far end is unmounted (and paged back
in the same way). When a conversation opens its newest turn is shown first and the rest of the tail
follows `SLICE` messages a step (a worker waiting for a frame between them); a page is mounted hidden,
laid out, then shown at once with the view put back where it was, so what is on screen does not move.

The message widgets (Markdown) are imported when first needed: this view is part of the first frame.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static
from textual.worker import Worker

if TYPE_CHECKING:
    from tm_tui.store.history import StoredMessage
    from tm_tui.widgets.chat_message import MessageView

RENDERED_TAIL = 6  # messages mounted when a conversation opens
EARLIER_PAGE = 20  # messages mounted each time the view reaches the top (or the button is pressed)
MOUNTED_WINDOW = 60  # at most this many messages are mounted: layout cost grows with each one
SLICE = 2  # messages mounted per step when a conversation opens (a turn): ~10 ms each to mount here
# A page comes in as one hidden step: in slices of 2 a page took 2.6x longer (1,101 vs 426 ms median,
# bench/bench_history_open.py) and its longest block was no shorter (showing the page is the block).
PAGE_STEP = EARLIER_PAGE


def widget_for(message: StoredMessage) -> MessageView:
    """The widget of a stored message."""
    from tm_tui.chat.metrics import TurnMetrics
    from tm_tui.widgets.chat_message import AssistantMessage, UserMessage

    if message.role == "user":
        return UserMessage(message.id, message.content)
    return AssistantMessage(
        message.id,
        model=message.model,
        content=message.content,
        reasoning=message.reasoning,
        status=message.status,
        metrics=TurnMetrics.from_dict(message.metrics) if message.metrics else None,
        error=message.error,
    )


def _message_type() -> type[MessageView]:
    from tm_tui.widgets.chat_message import MessageView

    return MessageView


class ConversationView(VerticalScroll):
    DEFAULT_CSS = Path(__file__).with_name("conversation_view.tcss").read_text(encoding="utf-8")

    def __init__(
        self, source: Callable[[], Sequence[StoredMessage]], *, empty_hint: str, id: str | None = None
    ) -> None:
        """`source`: the conversation's messages as they are now (read each time, never kept)."""
        super().__init__(id=id)
        self._source = source
        self._empty_hint = empty_hint
        self.hidden_before = 0  # older messages not mounted (yet)
        self.hidden_after = 0  # newer messages unmounted while reading far back
        self._slices: Worker[None] | None = None  # mounting a page: scrolling meanwhile pages nothing

    def compose(self) -> ComposeResult:
        yield Static(self._empty_hint, id="chat-empty", markup=False)

    def on_mount(self) -> None:
        self.anchor()
        self.watch(self, "scroll_y", self._scrolled, init=False)
        self.call_after_refresh(self._import_message_widgets)

    @work(thread=True, group="conversation-import")
    def _import_message_widgets(self) -> None:
        """After the first frame, import the message widgets (Markdown, markdown-it: 150+ ms here)
        from a thread, which gives the event loop its turn every few ms, rather than all at once in
        the first step of opening a conversation."""
        import tm_tui.widgets.chat_message  # noqa: F401

    @property
    def busy(self) -> bool:
        """Messages are still being mounted (a page, or the rest of what was opened)."""
        return self._slices is not None and not self._slices.is_finished

    @property
    def messages(self) -> list[MessageView]:
        # Children only: a deep query walks every block of every answer (this runs on each flush).
        return list(self.query_children(_message_type()))

    def message_widget(self, message_id: object) -> MessageView | None:
        return next((w for w in self.messages if w.message_id == message_id), None)

    # -- what is mounted ------------------------------------------------------------------------------
    async def show(self, *, at_start: bool = False) -> None:
        """Mount the conversation afresh (after opening, editing, deleting): its last `RENDERED_TAIL`
        messages, the view at the end; `at_start`: its first `EARLIER_PAGE`, the view at the top.
        The slice nearest the view is mounted now, the rest in later steps."""
        if self._slices is not None:
            self._slices.cancel()
        messages = list(self._source())
        shown = messages[:EARLIER_PAGE] if at_start else messages[-RENDERED_TAIL:]
        hidden = len(messages) - len(shown)
        self.hidden_before, self.hidden_after = (0, hidden) if at_start else (hidden, 0)
        first, rest = (shown[:SLICE], shown[SLICE:]) if at_start else (shown[-SLICE:], shown[:-SLICE])
        with self.app.batch_update():
            await self.query(_message_type()).remove()
            await self.append(*[widget_for(m) for m in first])
        await self._show_paging_buttons()
        self.query_one("#chat-empty").display = not messages
        if at_start:
            self.release_anchor()
            self.scroll_home(animate=False, immediate=True)
        else:
            self.anchor()
        if rest:
            self._slices = self._mount_in_slices(rest, at_top=not at_start, far=[], keep_view=False, step=SLICE)

    async def append(self, *widgets: MessageView) -> None:
        """Mount messages after the last one (above the "later messages" button, if any)."""
        later = next(self.query("#show-later").results(Button), None)
        await self.mount_all(widgets, before=later)

    async def load_earlier(self) -> None:
        """Mount the previous `EARLIER_PAGE` messages above the first shown one, keeping the view still
        (the message that was first stays at the same place on screen); past `MOUNTED_WINDOW`
        messages, the last ones are unmounted (`load_later` brings them back)."""
        if self.busy or self.hidden_before <= 0:
            return
        start = max(0, self.hidden_before - EARLIER_PAGE)
        page = list(self._source())[start : self.hidden_before]
        self.hidden_before = start
        self._page_in(page, at_top=True)

    async def load_later(self) -> None:
        """`load_earlier` the other way: the next page below the last shown message, dropping the first ones."""
        if self.busy or self.hidden_after <= 0:
            return
        messages = list(self._source())
        end = len(messages) - self.hidden_after
        page = messages[end : end + EARLIER_PAGE]
        self.hidden_after -= len(page)
        self._page_in(page, at_top=False)

    def _page_in(self, page: list[StoredMessage], *, at_top: bool) -> None:
        self.release_anchor()  # new content must not pull the view to the end (re-engages there)
        mounted = self.messages
        excess = max(0, len(mounted) + len(page) - MOUNTED_WINDOW)
        if at_top:
            far = mounted[len(mounted) - excess :]
            self.hidden_after += excess
        else:
            far = mounted[:excess]
            self.hidden_before += excess
        self._slices = self._mount_in_slices(page, at_top=at_top, far=far, keep_view=True, step=PAGE_STEP)

    @work(exclusive=True, group="conversation-slices")
    async def _mount_in_slices(
        self, page: list[StoredMessage], *, at_top: bool, far: list[MessageView], keep_view: bool, step: int
    ) -> None:
        """Mount `page` above the first mounted message (`at_top`) or below the last, `step` messages
        a step (the nearest first), hidden until all are in; then show them, unmount `far`, and with
        `keep_view` scroll so the message they joined stays where it was on screen. Each DOM change
        is made before the await that follows it: if cancelled (`show`), nothing is left half done."""
        # The cyclic GC leaves the objects that exist now alone while the page comes in: each slice
        # allocates thousands, and a full collection walking the whole heap is the longest stall
        # of a page (300 ms here). They are handed back at the end, so their garbage is collected later.
        freeze = not gc.get_freeze_count()  # not already frozen (by a streaming answer)
        if freeze:
            gc.freeze()
        try:
            await self._page_in_slices(page, at_top=at_top, far=far, keep_view=keep_view, step=step)
        finally:
            if freeze:
                gc.unfreeze()

    async def _page_in_slices(
        self, page: list[StoredMessage], *, at_top: bool, far: list[MessageView], keep_view: bool, step: int
    ) -> None:
        mounted = self.messages
        kept = mounted[0] if at_top else mounted[-1]
        # `kept` stays where it is on screen; if it is off screen (a button pressed far from it),
        # it comes to the nearest edge, so the view follows the paging (never left behind).
        offset = min(max(0, kept.virtual_region.y - round(self.scroll_y)), self.size.height - 1)
        chunks = [page[i : i + step] for i in range(0, len(page), step)]
        edge, new = kept, []
        for chunk in reversed(chunks) if at_top else chunks:
            widgets = [widget_for(m) for m in chunk]
            for widget in widgets:
                widget.display = False
            mounting = self.mount_all(widgets, before=edge) if at_top else self.mount_all(widgets, after=edge)
            edge = widgets[0] if at_top else widgets[-1]
            new.extend(widgets)
            await mounting
            self._measure(widgets)
            await self.wait_for_refresh()  # a frame (and any key) between slices
        with self.app.batch_update():
            for widget in new:
                widget.display = True
            if far:
                if self.screen.focused in far:
                    kept.focus(scroll_visible=False)  # focus must not jump (and scroll) elsewhere
                await self.remove_children(far)
        await self._show_paging_buttons()
        if keep_view:
            await self.wait_for_refresh()  # laid out with the new messages
            self.scroll_to(y=kept.virtual_region.y - offset, animate=False, immediate=True)

    def _measure(self, widgets: list[MessageView]) -> None:
        """Lay out hidden messages as they will be shown: each widget keeps its arrangement and text
        heights for this width, so showing a page re-uses them instead of measuring it all at once."""
        size = self.scrollable_content_region.size
        viewport = self.app.size
        for widget in widgets:
            widget._get_box_model(size, viewport, Fraction(size.width), Fraction(size.height))

    # -- paging from the keyboard and by scrolling ----------------------------------------------------
    async def page(self, direction: str) -> None:
        """One page up or down; at either end of what is mounted, the next page comes in (as when
        the view is scrolled there)."""
        if direction == "up":
            if self.scroll_y <= 0:
                await self.load_earlier()
            else:
                self.scroll_page_up(animate=False)
        elif self.scroll_y >= self.max_scroll_y:
            await self.load_later()
        else:
            self.scroll_page_down(animate=False)

    async def to_start(self, *, focus_message: bool) -> None:
        """The first message of the conversation, however long (not just the top of what is mounted)."""
        if self.hidden_before > 0:
            await self.show(at_start=True)
        else:
            self.scroll_home(animate=False)
        if focus_message:  # keys keep working on the messages (the focused one may be gone)
            self.focus_message(0)

    async def to_end(self, *, focus_message: bool) -> None:
        if self.hidden_after > 0:
            await self.show()
        self.scroll_end(animate=False)
        if focus_message:
            self.focus_message(-1)

    def focus_message(self, index: int) -> None:
        messages = self.messages
        if messages:
            messages[index].focus(scroll_visible=False)

    def _scrolled(self, scroll_y: float) -> None:
        if self.busy:
            return
        if scroll_y <= 0 and self.hidden_before > 0:
            self.call_later(self.load_earlier)
        elif self.hidden_after > 0 and scroll_y >= self.max_scroll_y:
            self.call_later(self.load_later)

    async def _show_paging_buttons(self) -> None:
        """The buttons above and below the messages, while some are not mounted (each made the
        first time it is needed)."""
        await self._paging_button("show-earlier", self.hidden_before, "↑", "scroll up", nearest=0)
        await self._paging_button("show-later", self.hidden_after, "↓", "scroll down", nearest=-1)

    async def _paging_button(
        self, button_id: str, hidden: int, arrow: str, how: str, *, nearest: int
    ) -> None:
        button = next(self.query(f"#{button_id}").results(Button), None)
        if button is None:
            if not hidden:
                return
            button = Button("", id=button_id, compact=True)
            if button_id == "show-earlier":
                await self.mount(button, before=0)
            else:
                await self.mount(button)
        which = "earlier" if button_id == "show-earlier" else "later"
        button.label = (
            f"{arrow} {hidden} {which} messages ({how}, or enter for {min(hidden, EARLIER_PAGE)} more)"
        )
        if not hidden and button.has_focus:
            # Otherwise focus moves on by itself and scrolls there, perhaps to the other end (paging again).
            self.focus_message(nearest)
        button.display = hidden > 0

    @on(Button.Pressed, "#show-earlier")
    async def _earlier_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.load_earlier()

    @on(Button.Pressed, "#show-later")
    async def _later_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.load_later()
