"""Helpers for the Account tests: read the keys table, type into a form, find a modal."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from ..helpers import plain, settle

ACCOUNT = "account"
SEEDED_STATUSES = {"demo": "active", "laptop": "active", "ci-2025": "expired", "old-ci": "revoked"}


def key_statuses(table: DataTable) -> dict[str, str]:
    """{key name: status} of the rows the keys table shows."""
    return {str(table.get_cell(row, "name")): str(table.get_cell(row, "status")) for row in table.rows}


def key_cells(table: DataTable, name: str) -> dict[str, str]:
    """The cells of the row of key `name`, by column key."""
    for row in table.rows:
        if str(table.get_cell(row, "name")) == name:
            return {str(col.value): str(table.get_cell(row, col)) for col in table.columns}
    raise AssertionError(f"no key row named {name}")


def highlight_key(table: DataTable, name: str) -> None:
    names = [str(table.get_cell(row, "name")) for row in table.rows]
    table.move_cursor(row=names.index(name))


def text_of(screen, selector: str) -> str:
    return plain(screen.query_one(selector, Static))


def screen_text(screen) -> str:
    """Everything the Statics of a screen show (for "is this secret on screen" checks)."""
    return "\n".join(plain(static) for static in screen.query(Static))


def visible_text(screen) -> str:
    """What the displayed Statics of a screen show (hidden panels and tabs left out)."""
    shown = [
        static
        for static in screen.query(Static)
        if static.display and all(node.display for node in static.ancestors if hasattr(node, "display"))
    ]
    return "\n".join(plain(static) for static in shown)


async def fill(pilot: Pilot, values: dict[str, str], submit: bool = True) -> None:
    """Set the inputs of the form on top (by id), then press enter in the last one."""
    screen = pilot.app.screen
    for input_id, value in values.items():
        field = screen.query_one(f"#{input_id}", Input)
        field.value = value
        field.focus()
    if submit:
        await pilot.press("enter")
        await settle(pilot)
