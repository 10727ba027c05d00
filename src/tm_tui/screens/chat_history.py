"""The history browser: saved conversations, newest first, searched as you type.

Enter opens (resumes) the highlighted conversation; ctrl+r renames it, ctrl+d deletes it (asked twice),
Esc closes. Titles are user/model text: shown as plain `Text`, control characters neutralised.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tm_tui.store.history import ConversationSummary, HistoryStore
from tm_tui.text_safety import sanitize

PAGE = 200  # conversations listed per search; history is searched, not scrolled through


def summary_text(summary: ConversationSummary, now: float) -> Text:
    age = _age(now - summary.updated)
    text = Text(sanitize(summary.title or "Untitled"), "bold")
    text.append(f"\n{age} · {summary.message_count} messages · ", "dim")
    text.append(sanitize(summary.model or "no model"), "dim")
    text.append(f" · {summary.mode.value}", "dim")
    return text


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


class HistoryBrowser(ModalScreen[int | None]):
    CSS_PATH = Path(__file__).with_name("chat_history.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="history.close"),
        Binding("ctrl+r", "rename", "Rename", id="history.rename"),
        # Priority: the search box would take ctrl+d as "delete right".
        Binding("ctrl+d", "delete", "Delete", id="history.delete", priority=True),
        Binding("down", "focus_list", "List", show=False, id="history.list"),
    ]

    def __init__(self, store: HistoryStore, *, current: int | None = None, clock=time.time) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self.clock = clock
        self.summaries: list[ConversationSummary] = []
        self._renaming: int | None = None
        self._armed_delete: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box") as box:
            box.border_title = "History"
            box.border_subtitle = "enter open · ctrl+r rename · ctrl+d delete · esc close"
            yield Input(placeholder="search titles and messages…", id="history-search")
            yield OptionList(id="history-list")
            yield Static("", id="history-note", markup=False)

    def on_mount(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        query = self.query_one("#history-search", Input).value
        self.summaries = self.store.list_conversations(query, limit=PAGE)
        now = self.clock()
        options = self.query_one("#history-list", OptionList)
        options.clear_options()
        options.add_options(Option(summary_text(s, now), id=str(s.id)) for s in self.summaries)
        if self.summaries:
            options.highlighted = 0
        note = "no conversations match" if query.strip() else "no saved conversations yet"
        self.query_one("#history-note", Static).update(Text("" if self.summaries else note, "italic"))

    @property
    def highlighted(self) -> ConversationSummary | None:
        index = self.query_one("#history-list", OptionList).highlighted
        return self.summaries[index] if index is not None and index < len(self.summaries) else None

    @on(Input.Changed, "#history-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        if self._renaming is None:
            self.refresh_list()

    @on(Input.Submitted, "#history-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._renaming is not None:
            self._finish_rename(event.value)
        elif self.highlighted is not None:
            self.dismiss(self.highlighted.id)

    @on(OptionList.OptionSelected, "#history-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_focus_list(self) -> None:
        self.query_one("#history-list").focus()

    def action_close(self) -> None:
        if self._renaming is not None:
            self._end_rename()
            return
        self.dismiss(None)

    def action_rename(self) -> None:
        summary = self.highlighted
        if summary is None:
            return
        self._renaming = summary.id
        search = self.query_one("#history-search", Input)
        search.value = summary.title
        search.placeholder = "new title (enter saves, esc cancels)"
        search.focus()
        self._note(f"Renaming “{sanitize(summary.title)}”: type the new title and press enter.")

    def _finish_rename(self, title: str) -> None:
        renaming = self._renaming
        renamed = renaming is not None and bool(title.strip())
        if renaming is not None and renamed:
            self.store.rename(renaming, title)
        self._end_rename()
        if renamed:
            self._note("Renamed.")

    def _end_rename(self) -> None:
        self._renaming = None
        search = self.query_one("#history-search", Input)
        search.placeholder = "search titles and messages…"
        search.value = ""
        self.refresh_list()

    def action_delete(self) -> None:
        summary = self.highlighted
        if summary is None:
            return
        if self._armed_delete != summary.id:
            self._armed_delete = summary.id
            self._note(f"Press ctrl+d again to delete “{sanitize(summary.title)}” for good.")
            return
        self._armed_delete = None
        self.store.delete_conversation(summary.id)
        self.refresh_list()
        self._note(
            "Deleted."
            + (" It was the open conversation; it stays on screen." if summary.id == self.current else "")
        )

    def _note(self, message: str) -> None:
        self.query_one("#history-note", Static).update(Text(message, "italic"))
