"""The multi-line prompt: Enter sends, shift+enter inserts a newline, up/down recall earlier prompts.

Many terminals send the same bytes for shift+enter and enter, so ctrl+j and alt+enter insert a
newline too (both are listed in the footer/help). Recall happens only when the cursor is on the
first line (up) or the last line (down), so moving inside a multi-line draft still works.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import TextArea

from tm_tui.widgets.prompt_messages import PromptRecall, PromptSubmitted

NEWLINE_KEYS = ("shift+enter", "ctrl+j", "alt+enter")


class PromptInput(TextArea):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer and help; the key itself is handled in `_on_key` (see there).
        Binding("enter", "submit", "Send", id="chat.send"),
        Binding(
            ",".join(NEWLINE_KEYS), "newline", "Newline", id="chat.newline", key_display="shift+enter/ctrl+j"
        ),
    ]

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.placeholder = placeholder

    async def _on_key(self, event: events.Key) -> None:
        # Enter is taken here, in the widget's own key queue, rather than by a priority binding:
        # a priority binding runs at the app before this widget has inserted the characters typed
        # just ahead of it (a fast typist, a paste, tmux send-keys), so it would send a stale draft.
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self.action_submit()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        self.post_message(PromptSubmitted(self, self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        self._replace_via_keyboard("\n", start, end)

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == 0:
            self.post_message(PromptRecall(self, older=True))
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == self.document.line_count - 1:
            self.post_message(PromptRecall(self, older=False))
            return
        super().action_cursor_down(select)

    def replace_text(self, text: str) -> None:
        """Set the draft and put the cursor at its end."""
        self.text = text
        self.move_cursor(self.document.end)
