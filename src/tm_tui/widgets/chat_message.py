"""The messages of the chat conversation: a user prompt, and an answer with its metrics and status.

Both are focusable, so a message can be acted on from the keyboard (edit, delete, retry, copy); the
keys call screen actions that read which message has focus. Everything shown is untrusted text:
rendered as `Text`/Markdown, never console markup, with control characters neutralised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from tm_tui.store.history import MessageStatus
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.metrics_bar import MetricsLine
from tm_tui.widgets.stream_view import StreamView

if TYPE_CHECKING:
    from tm_tui.chat.metrics import TurnMetrics

STATUS_MARKS: dict[MessageStatus, tuple[str, str]] = {  # mark, Rich style
    MessageStatus.STREAMING: ("streaming…", "italic"),
    MessageStatus.STOPPED: ("■ stopped", "bold yellow"),
    MessageStatus.ERROR: ("✗ failed", "bold red"),
    MessageStatus.TRUNCATED: ("… cut short", "bold yellow"),
    MessageStatus.INTERRUPTED: ("⚠ interrupted", "bold yellow"),
}


class MessageView(Vertical, can_focus=True):
    """Common to both roles: the stored message id and a header line. The paging keys scroll the
    whole conversation (the screen mounts the pages not shown yet), not just what is mounted."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pageup", "screen.conversation_page('up')", "Page up", show=False, id="chat.message.page_up"),
        Binding(
            "pagedown",
            "screen.conversation_page('down')",
            "Page down",
            show=False,
            id="chat.message.page_down",
        ),
        Binding("home", "screen.conversation_top", "First message", show=False, id="chat.message.top"),
        Binding("end", "screen.conversation_bottom", "Last message", show=False, id="chat.message.bottom"),
    ]

    def __init__(self, message_id: int | None, *, classes: str = "") -> None:
        super().__init__(classes=f"message {classes}".strip())
        self.message_id = message_id

    def header_text(self) -> Text:
        raise NotImplementedError

    def _set_state(self, add: bool, name: str) -> None:
        """Set or clear a state class (`-streaming`, `-error`) and restyle this widget only: no rule
        styles a message's insides by these classes, and restyling a long answer's whole subtree (as
        Textual does on every class change) took 100+ ms, when the answer had just ended."""
        if self.has_class(name) is add:
            return
        self.set_class(add, name, update=False)
        if self.is_attached:
            self.app.stylesheet.update_nodes([self], animate=True)

    def refresh_header(self) -> None:
        self.query_one(".message-header", Static).update(self.header_text())


class UserMessage(MessageView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "screen.edit_message", "Edit & resend", id="chat.message.edit"),
        Binding("d,delete", "screen.delete_message", "Delete turn", id="chat.message.delete"),
        Binding("c", "screen.copy_message", "Copy", id="chat.message.copy"),
    ]

    def __init__(self, message_id: int | None, text: str) -> None:
        super().__init__(message_id, classes="user-message")
        self.text = text

    def header_text(self) -> Text:
        return Text("You", "bold")

    def compose(self) -> ComposeResult:
        yield Static(self.header_text(), classes="message-header", markup=False)
        yield Static(Text(sanitize(self.text)), classes="user-text", markup=False)


class AssistantMessage(MessageView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "screen.regenerate_message",
            "Regenerate",
            id="chat.message.retry",
            tooltip="Regenerate this answer (an older one: asks first, later turns are removed)",
        ),
        Binding("d,delete", "screen.delete_message", "Delete turn", id="chat.message.delete"),
        Binding("c", "screen.copy_message", "Copy", id="chat.message.copy"),
    ]

    def __init__(
        self,
        message_id: int | None,
        *,
        model: str | None,
        content: str = "",
        reasoning: str = "",
        status: MessageStatus = MessageStatus.STREAMING,
        metrics: TurnMetrics | None = None,
        error: str | None = None,
        title: str | None = None,
    ) -> None:
        streaming = status is MessageStatus.STREAMING
        super().__init__(
            message_id, classes="assistant-message -streaming" if streaming else "assistant-message"
        )
        self.model = model
        self.status = status
        self.title = title  # replaces "Assistant" (compare panes name their target)
        self._initial = (content, reasoning, metrics, error)

    @property
    def content(self) -> str:
        return self.query_one(StreamView).content

    def header_text(self) -> Text:
        text = Text(self.title or "Assistant", "bold")
        if self.model:
            text.append(" · ").append(sanitize(self.model), "dim")
        if self.status in STATUS_MARKS:
            mark, style = STATUS_MARKS[self.status]
            text.append("  ").append(mark, style)
        return text

    def compose(self) -> ComposeResult:
        # A finished answer (from history) gets only what it shows: pages of them are mounted at
        # once when scrolling back. A streaming one gets the error panel and metrics line it may need.
        content, reasoning, metrics, _ = self._initial
        streaming = self.status is MessageStatus.STREAMING
        yield Static(self.header_text(), classes="message-header", markup=False)
        yield StreamView(content, reasoning, final=not streaming)
        if streaming:
            panel = ErrorPanel()
            panel.display = False
            yield panel
        if streaming or metrics is not None:
            yield MetricsLine(metrics)

    def on_mount(self) -> None:
        _, _, _, error = self._initial
        if error:
            self.show_stored_error(error)

    async def show_live(self, content: str, reasoning: str) -> None:
        await self.query_one(StreamView).show_live(content, reasoning)

    async def finish(
        self,
        content: str,
        reasoning: str,
        status: MessageStatus,
        metrics: TurnMetrics | None,
        error: BaseException | None = None,
        next_step: str = "",
    ) -> None:
        """The answer ended: one Markdown render, the status mark, metrics and any error."""
        self.status = status
        self._set_state(False, "-streaming")
        self.refresh_header()
        if error is not None:
            self.show_error(error, next_step)
        if metrics is not None:
            self.query_one(MetricsLine).show(metrics)
        await self.query_one(StreamView).finalize(content, reasoning)

    def _error_panel(self) -> ErrorPanel:
        """The error panel, mounted above the metrics line the first time a finished answer needs it."""
        panel = next(self.query(ErrorPanel).results(ErrorPanel), None)
        if panel is None:
            panel = ErrorPanel()
            self.mount(panel, after=self.query_one(StreamView))
        return panel

    def show_error(self, error: BaseException, next_step: str = "") -> None:
        panel = self._error_panel()
        panel.show_error(error)
        if next_step and panel.info is not None:
            text = Text(panel.info.message)
            if panel.info.hint:
                text.append("\n→ ").append(panel.info.hint, "italic")
            panel.update(text.append("\n").append(next_step, "bold"))
        panel.display = True
        self._set_state(True, "-error")

    def show_stored_error(self, message: str) -> None:
        """An error saved in history (no exception object to describe any more)."""
        panel = self._error_panel()
        panel.border_title = "Failed"
        panel.update(Text.assemble(sanitize(message), "\n", ("r retries", "bold")))
        panel.display = True
        self._set_state(True, "-error")
