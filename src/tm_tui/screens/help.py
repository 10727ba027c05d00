"""The help screen: every key of the screen it was opened from, and every app-wide key.

Three groups, most useful first: the screen's own actions (every binding tm-tui declares has an id,
widgets' included), the app-wide keys (help, sections, palette, quit), then the generic keys of the
focused widget and of Textual (cursor moves, focus, copy), which have no id and are listed compactly.

A section in tabs (`SectionScreen.TAB_TITLES`) hides the keys of the other tabs from its footer, so
its own group lists every key the screen declares, whether it can act now or not: first the keys of
every tab, then one group per tab for the actions of that tab (`TAB_ACTIONS`), the tab in front
marked. The user finds there the keys of a tab before going to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.columns import Columns
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

HelpRow = tuple[str, str, str]  # key, description, binding id
TabGroup = tuple[str, list[HelpRow]]  # title, rows


class HelpScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_name("help.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1,question_mark,q", "dismiss", "Close", show=False, id="help.close.alt"),
    ]

    def __init__(
        self,
        screen_title: str,
        screen_rows: list[HelpRow],
        app_rows: list[HelpRow],
        widget_rows: list[HelpRow] | None = None,
        tab_groups: list[TabGroup] | None = None,
    ) -> None:
        super().__init__()
        self.screen_title = screen_title
        self.screen_rows = screen_rows  # in a section in tabs: the keys of every tab
        self.app_rows = app_rows
        self.widget_rows = widget_rows or []
        self.tab_groups = tab_groups or []

    @classmethod
    def for_screen(cls, screen: Screen) -> HelpScreen:
        """Collect the bindings active on `screen` (its widgets and the app), grouped as above."""
        app = screen.app
        screen_rows: list[HelpRow] = []
        app_rows: list[HelpRow] = []
        widget_rows: list[HelpRow] = []
        listed: set[HelpRow] = set()
        tabs: dict[str, str] = getattr(screen, "TAB_TITLES", {})
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system or (tabs and active.node is screen):  # in tabs: all of them, below
                continue
            row = _row(app, binding)
            if row in listed:  # one binding of several keys with one `key_display` is listed once
                continue
            listed.add(row)
            if active.node is app:
                app_rows.append(row)
            elif binding.id:
                screen_rows.append(row)
            else:
                widget_rows.append(row)
        title = getattr(getattr(screen, "section", None), "title", None) or type(screen).__name__
        if not tabs:
            return cls(title, screen_rows, app_rows, widget_rows)
        every, groups = _by_tab(screen, tabs)
        front = getattr(screen, "active_tab", "")
        # the focused widget's own keys (a table's paging…) act on the tab in front
        groups.get(front, every).extend(screen_rows)
        tab_groups = [
            (f"{tabs[tab]} tab" + (" (in front)" if tab == front else ""), rows)
            for tab, rows in groups.items()
            if rows
        ]
        return cls(title, every, app_rows, widget_rows, tab_groups)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "esc to close"
            if self.screen_rows:
                every = ", on every tab" if self.tab_groups else ""
                heading = f"On this screen: {self.screen_title}{every}"
                yield Static(_table(heading, self.screen_rows), markup=False)
            for heading, rows in self.tab_groups:
                yield Static(_table(heading, rows), markup=False)
            yield Static(_table("Everywhere: help, sections, palette", self.app_rows), markup=False)
            if self.widget_rows:
                yield Static(_compact("In the focused widget", self.widget_rows), markup=False)
            yield Static(
                Text(
                    "F1 is this help; F2 and on open the sections in the order above. ctrl+p opens the "
                    "command palette: every key above is a command there, and so are the main actions "
                    "of every section (Log in, Select model, Switch profile…), from any screen.",
                    "italic",
                ),
                markup=False,
            )


def _row(app: App, binding: Binding) -> HelpRow:
    description = binding.description or binding.action
    return (app.get_key_display(binding), description[:1].upper() + description[1:], binding.id or "")


def _by_tab(screen: Screen, tabs: dict[str, str]) -> tuple[list[HelpRow], dict[str, list[HelpRow]]]:
    """Every key `screen` declares (with an id), those check_action hides now included: the keys of
    every tab, and per tab the keys of the actions that belong to it (`TAB_ACTIONS`)."""
    tab_actions: dict[str, tuple[str, ...]] = getattr(screen, "TAB_ACTIONS", {})
    every: list[HelpRow] = []
    groups: dict[str, list[HelpRow]] = {tab: [] for tab in tabs}
    seen: set[HelpRow] = set()
    for bindings in screen._bindings.key_to_bindings.values():
        for binding in bindings:
            row = _row(screen.app, binding)
            if binding.system or not binding.id or row in seen:
                continue
            seen.add(row)
            action = binding.action.partition("(")[0]
            for tab in tab_actions.get(action, ()):
                groups[tab].append(row)
            if action not in tab_actions:
                every.append(row)
    return every, groups


def _table(title: str, rows: list[HelpRow]) -> Table:
    table = Table(title=title, title_justify="left", expand=True, box=None, padding=(0, 1))
    table.add_column("Key", style="bold", no_wrap=True, min_width=10)
    table.add_column("Action", ratio=1)
    table.add_column("Binding id", style="dim", no_wrap=True, min_width=24)  # aligned across groups
    for key, description, binding_id in rows:
        table.add_row(Text(key), Text(description), Text(binding_id))
    return table


def _compact(title: str, rows: list[HelpRow]) -> Group:
    """Pairs "key action" in columns: these keys are generic, not worth a row each. Keys sharing an
    action are joined ("^c/super+c Copy selected text")."""
    keys: dict[tuple[str, str], list[str]] = {}
    for key, description, binding_id in rows:
        keys.setdefault((description, binding_id), []).append(key)
    pairs = [
        Text.assemble(
            ("/".join(shown), "bold"), f" {description}", (f" ({binding_id})" if binding_id else "", "dim")
        )
        for (description, binding_id), shown in keys.items()
    ]
    return Group(Text(title, "italic"), Columns(pairs, padding=(0, 3)))
