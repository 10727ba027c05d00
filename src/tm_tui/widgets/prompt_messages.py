"""Messages posted by `PromptInput`, kept apart from it so a screen can handle them without
importing the widget (a `TextArea`, whose import is too heavy for the first frame)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tm_tui.widgets.prompt_input import PromptInput


class PromptSubmitted(Message):
    """Enter in the prompt: `text` is the whole draft."""

    def __init__(self, prompt: PromptInput, text: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.text = text


class PromptRecall(Message):
    """Up on the first line (`older=True`) or down on the last line asks for prompt history."""

    def __init__(self, prompt: PromptInput, older: bool) -> None:
        super().__init__()
        self.prompt = prompt
        self.older = older
