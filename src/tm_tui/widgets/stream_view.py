"""One answer's text: reasoning in a collapsible section above it, the answer below.

While the answer streams, its owner calls `show_live()` from a timer (not per token). The answer is
a Markdown widget followed by a plain `Text` tail: each time a block is complete (a blank line
outside fenced code), the finished blocks are appended to the Markdown — `Markdown.append` re-parses
only from its last block — and the tail keeps just the block being written, cheap to re-render.
`finalize()` then has only that last block left to parse. Model output is untrusted: control
characters (terminal escapes) are neutralised and nothing is parsed as console markup; Markdown
itself is rendered, with links not auto-opened.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets._collapsible import CollapsibleTitle

from tm_tui.text_safety import sanitize

REASONING_TITLE = "Reasoning"
APPEND_EVERY_S = 0.25  # finished blocks join the Markdown at most this often (each is a layout)
SPARE_LINES = 4  # kept free under a streaming text, so most updates need no layout
FENCES = ("```", "~~~")


class BlockSplitter:
    """Finds where the complete Markdown blocks of a growing text end: after the last blank line
    that is not inside fenced code. Reads each line once, however often it is asked."""

    def __init__(self) -> None:
        self.scanned = 0  # lines before this offset are read
        self.fence = ""  # the open fence's marker ("```", "~~~~"…), or ""
        self.complete = 0  # the text before this offset is whole blocks

    def feed(self, text: str) -> int:
        """`text` is the previous text plus more; returns the end of its complete blocks."""
        while (newline := text.find("\n", self.scanned)) != -1:
            line = text[self.scanned : newline].strip()
            self.scanned = newline + 1
            if self.fence:
                if line.startswith(self.fence) and not line.strip(self.fence[0]):
                    self.fence = ""
            elif line.startswith(FENCES):
                marker = line[0]
                self.fence = line[: len(line) - len(line.lstrip(marker))]
            elif not line:
                self.complete = self.scanned
        return self.complete


def _fit(widget: Static, *, shrink: bool = False) -> None:
    """After a `layout=False` update of a growing text: lay the screen out again only when the text
    needs more lines than `widget` has (then it gets `SPARE_LINES` more, so the next few updates are
    repaints only), or, with `shrink`, to fit it again. A layout walks every mounted widget."""
    width = widget.size.width
    if not width:  # not laid out yet
        widget.refresh(layout=True)
        return
    needed = widget.get_content_height(widget.size, widget.app.size, width)
    if needed > widget.size.height or (shrink and needed + SPARE_LINES < widget.size.height):
        widget.styles.height = needed + SPARE_LINES


class StreamView(Vertical):
    DEFAULT_CLASSES = "stream-view"

    def __init__(self, content: str = "", reasoning: str = "", *, final: bool = False) -> None:
        super().__init__()
        self.content = content
        self.reasoning = reasoning
        self.final = final
        self._collapsed_once = final  # reasoning folds away once, when the answer starts
        self._blocks = BlockSplitter()
        self._rendered = 0  # `content[:_rendered]` is in the Markdown widget, the rest in the tail
        self._appended_at = 0.0  # when blocks last joined the Markdown (monotonic)
        # The parts updated on every flush, kept rather than queried: a query walks every block of
        # the answer rendered so far.
        self._answer = Markdown(classes="answer", open_links=False)
        self._tail: Static | None = None
        self._box: Collapsible | None = None
        self._reasoning_text: Static | None = None

    def compose(self) -> ComposeResult:
        if not self.final:
            yield self._reasoning_section(collapsed=False)
        elif self.reasoning:
            # A finished answer (history pages mount many) shows only the folded title, which looks
            # and acts like the folded section's: the section itself is built when it is opened.
            yield CollapsibleTitle(
                label=REASONING_TITLE, collapsed_symbol="▶", expanded_symbol="▼", collapsed=True
            ).add_class("reasoning-stub")
        if self.final:
            self._answer = Markdown(sanitize(self.content), classes="answer", open_links=False)
            yield self._answer
        else:
            yield self._answer
            self._tail = Static(Text(sanitize(self.content)), classes="live-tail", markup=False)
            yield self._tail

    def _reasoning_section(self, *, collapsed: bool) -> Collapsible:
        self._reasoning_text = Static(Text(sanitize(self.reasoning)), classes="reasoning-text", markup=False)
        box = self._box = Collapsible(
            self._reasoning_text, title=REASONING_TITLE, collapsed=collapsed, classes="reasoning"
        )
        box.display = bool(self.reasoning)
        return box

    async def _on_collapsible_title_toggle(self, event: CollapsibleTitle.Toggle) -> None:
        """The folded title of a finished answer was opened: put the real section in its place. (A
        section's own title never gets here: the section handles it.)"""
        event.stop()
        stub = next(self.query(".reasoning-stub").results(CollapsibleTitle), None)
        if stub is None:
            return
        box = self._reasoning_section(collapsed=False)
        await self.mount(box, before=stub)
        await stub.remove()
        box.query_one(CollapsibleTitle).focus()

    @property
    def reasoning_box(self) -> Collapsible:
        if self._box is None:  # a finished answer's section is built when it is opened
            raise NoMatches("no reasoning section")
        return self._box

    async def show_live(self, content: str, reasoning: str) -> None:
        """Show the text so far; called on the owner's flush timer."""
        if reasoning != self.reasoning:
            self.reasoning = reasoning
            self.reasoning_box.display = True
            assert self._reasoning_text is not None
            self._reasoning_text.update(Text(sanitize(reasoning)), layout=False)
            _fit(self._reasoning_text)
        if content == self.content:
            return
        self.content = content
        if not self._collapsed_once and content.strip():
            self._collapsed_once = True
            self.reasoning_box.collapsed = True
        complete = self._blocks.feed(content)  # a streamed text only grows
        now = time.monotonic()
        if complete > self._rendered and now - self._appended_at >= APPEND_EVERY_S:
            self._appended_at = now
            start, self._rendered = self._rendered, complete
            # One frame for both: the blocks joining the Markdown and leaving the tail (each alone
            # is a layout, and in between the text would show twice).
            with self.app.batch_update():
                await self._answer.append(sanitize(content[start:complete]))
                self._show_tail(shrink=True)
        else:
            self._show_tail()

    def _show_tail(self, *, shrink: bool = False) -> None:
        # The latest state, not the one this call started with: an earlier call may finish later.
        if self._tail is None:  # finalized while this flush awaited the Markdown (flush timers run apart)
            return
        self._tail.update(Text(sanitize(self.content[self._rendered :])), layout=False)
        _fit(self._tail, shrink=shrink)

    async def finalize(self, content: str, reasoning: str) -> None:
        """Move the rest of the answer into the Markdown (only the last block is parsed) and drop
        the tail. A final text that is not the streamed text plus more is rendered whole."""
        await self.show_live(self.content, reasoning)
        self.final = True
        self.reasoning_box.collapsed = True
        with self.app.batch_update():  # the last block and the tail's removal in one frame
            if content.startswith(self.content[: self._rendered]):
                rest = content[self._rendered :]
                if rest:
                    await self._answer.append(sanitize(rest))
            else:
                await self._answer.update(sanitize(content))
            self.content, self._rendered = content, len(content)
            if self._tail is not None:
                tail, self._tail = self._tail, None
                await tail.remove()
