"""The help screen: every key of the screen it was opened from, and every app-wide key."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

HelpRow = tuple[str, str, str]  # key, description, binding id


class HelpScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("help.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1,question_mark,q", "dismiss", "Close", show=False, id="help.close.alt"),
    ]

    def __init__(self, screen_title: str, screen_rows: list[HelpRow], app_rows: list[HelpRow]) -> None:
        super().__init__()
        self.screen_title = screen_title
        self.screen_rows = screen_rows
        self.app_rows = app_rows

    @classmethod
    def for_screen(cls, screen: Screen) -> HelpScreen:
        """Collect the bindings active on `screen` (its widgets and the app), grouped by owner."""
        app = screen.app
        screen_rows: list[HelpRow] = []
        app_rows: list[HelpRow] = []
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system:
                continue
            row = (app.get_key_display(binding), binding.description or binding.action, binding.id or "")
            (app_rows if active.node is app else screen_rows).append(row)
        title = getattr(getattr(screen, "section", None), "title", None) or type(screen).__name__
        return cls(title, screen_rows, app_rows)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "esc to close"
            if self.screen_rows:
                yield Static(_table(f"On this screen: {self.screen_title}", self.screen_rows), markup=False)
            yield Static(_table("Everywhere", self.app_rows), markup=False)
            yield Static(
                Text(
                    "F1 is this help; F2 and on open the sections, in footer order. ctrl+p opens the "
                    "command palette: every key above is a command there, and so are the main actions "
                    "of every section (Log in, Select model, Switch profile…), from any screen.",
                    "italic",
                ),
                markup=False,
            )


def _table(title: str, rows: list[HelpRow]) -> Table:
    table = Table(title=title, title_justify="left", expand=True, box=None, padding=(0, 1))
    table.add_column("Key", style="bold", no_wrap=True, min_width=10)
    table.add_column("Action", ratio=1)
    table.add_column("Binding id", style="dim", no_wrap=True)
    for key, description, binding_id in rows:
        table.add_row(Text(key), Text(description), Text(binding_id))
    return table
