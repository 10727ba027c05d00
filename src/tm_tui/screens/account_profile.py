"""The profile part of Account: what the control plane knows about the user (with the terms of
service status) and the form that edits the name fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input

from tm_tui.screens.account_hints import in_form
from tm_tui.text_safety import sanitize
from tm_tui.widgets.form_modal import FieldErrors, FormModal, check_text

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import User

NAME_FIELDS = (
    ("first-name", "First name", True),
    ("last-name", "Last name", False),
    ("display-name", "Display name", False),
)


def tos_accepted(user: User) -> bool:
    return bool(user.tos_accepted_at)


def user_lines(user: User) -> Table:
    """Label and value on one row each; a value too long for the pane wraps in its own column."""
    full_name = " ".join(part for part in (user.first_name, user.last_name) if part)
    role = (user.user_role or "").removeprefix("USER_ROLE_").lower().replace("_", " ")
    rows = (
        ("Name", user.display_name or full_name),
        ("Email", user.user_email),
        ("Company", user.company),
        ("Role", role),
        ("User id", user.id),
    )
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        table.add_row(label, Text(sanitize(value) if value else "—"))
    if tos_accepted(user):
        table.add_row("Terms", Text(f"✓ accepted {sanitize((user.tos_accepted_at or '')[:10])}"))
    else:
        table.add_row("Terms", Text("✗ not accepted: a accepts", "yellow"))
    return table


@dataclass(frozen=True)
class NameChange:
    first_name: str
    last_name: str
    display_name: str


class ProfileEditScreen(FormModal[NameChange, "User"]):
    def __init__(self, user: User, submit: Callable[[NameChange], Awaitable[User]]) -> None:
        super().__init__(
            "Edit your profile", submit, intro=f"Signed in as {sanitize(user.user_email or '?')}."
        )
        self.user = user

    def compose_fields(self) -> ComposeResult:
        current = (self.user.first_name, self.user.last_name, self.user.display_name)
        for (input_id, label, _), value in zip(NAME_FIELDS, current, strict=True):
            yield from self.field(label, Input(value=value or "", id=input_id))

    def read(self) -> NameChange:
        errors = {
            input_id: problem
            for input_id, label, required in NAME_FIELDS
            if (problem := check_text(self.value(input_id), label, required=required))
        }
        if errors:
            raise FieldErrors(errors)
        return NameChange(*(self.value(input_id) for input_id, _, _ in NAME_FIELDS))


async def save_names(client: ControlPlaneClient, change: NameChange) -> User:
    """Store the names, then read the profile back (the update replies with no user)."""
    from tm_tui.api.errors import TmError

    try:
        await client.update_user(
            first_name=change.first_name, last_name=change.last_name, display_name=change.display_name
        )
        return await client.profile()
    except TmError as error:
        raise in_form(error, "edit the profile") from None
