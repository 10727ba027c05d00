"""The multi-line prompt: Enter sends, ctrl+j inserts a newline, up/down recall earlier prompts.

ctrl+j is the newline key every terminal delivers (it is a plain line feed). shift+enter works too
where the terminal tells it apart from enter (kitty keyboard protocol); most terminals and tmux send
the same byte for both, and alt+enter arrives as ESC + enter, which Textual reads as a bare enter, so
it is not offered. Recall happens only when the cursor is on the first line (up) or the last line
(down), so moving inside a multi-line draft still works.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import TextArea

from tm_tui.widgets.prompt_messages import PromptRecall, PromptSubmitted

NEWLINE_KEYS = ("ctrl+j", "shift+enter")


class PromptInput(TextArea):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown in the footer and help; the key itself is handled in `_on_key` (see there).
        Binding("enter", "submit", "Send", id="chat.send"),
        Binding(
            ",".join(NEWLINE_KEYS), "newline", "Newline", id="chat.newline", key_display="ctrl+j", show=False
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
        if event.key.startswith("alt+"):
            # A terminal sends alt+<key> as ESC + <key>: the event carries the character, which a
            # TextArea would type. Not typed, it reaches the screen's bindings (alt+m: mode).
            event.prevent_default()
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
