"""The profile part of Account's Overview: what the control plane knows about the user (with the
terms of service status, `a` accepts them) and the form that edits the name fields (`e`).

`ProfileBox` owns the profile shown: its workers load it and accept the terms, each posting one
`UserLoaded`, whose handler is the only code that changes what the box shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tm_tui.screens.account_hints import explain, in_form
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.form_modal import FieldErrors, FormModal, check_text

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import User
    from tm_tui.app import TmApp
    from tm_tui.session import Session

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


class ProfileBox(Vertical):
    """The "Profile" box: the user, a note on the last change, and the error of the last request."""

    app: TmApp  # narrows Widget.app

    class UserLoaded(Message):
        def __init__(self, user: User | None, error: BaseException | None = None, note: str = "") -> None:
            super().__init__()
            self.user, self.error, self.note = user, error, note

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Profile (e edits)"
        self.user: User | None = None  # the last profile loaded for the active profile

    def compose(self) -> ComposeResult:
        yield Static("", id="user", markup=False)
        yield Static("", id="user-message", markup=False)
        yield ErrorPanel(id="user-error")

    def on_mount(self) -> None:
        self.query_one(ErrorPanel).display = False

    # -- what the screen asks for --------------------------------------------------------------------
    def not_available(self, reason: str) -> None:
        self.query_one(ErrorPanel).display = False
        self.user = None
        self.query_one("#user", Static).update(Text(reason, "italic"))

    def forget(self) -> None:
        """Another profile is active: its user is not this one."""
        self.show_note("")
        self.user = None

    def load(self, session: Session) -> None:
        self.query_one("#user", Static).loading = self.user is None
        self.fetch(session)

    def edit(self, client: ControlPlaneClient) -> None:
        if self.user is None:
            return
        form = ProfileEditScreen(self.user, partial(save_names, client))
        self.app.push_screen(form, self._saved)

    def _saved(self, user: User | None) -> None:
        if user is not None:
            self.post_message(self.UserLoaded(user, note="✓ Profile saved."))
            self.app.check_login()  # the context bar shows the display name

    def ask_accept_tos(self) -> None:
        if self.user is None:
            return
        question = (
            f"Accept the Tensormesh terms of service for {sanitize(self.user.user_email or 'this account')}? "
            "Read them at https://tensormesh.ai/terms first."
        )
        self.app.push_screen(ConfirmScreen("Terms of service", question, yes="Accept"), self._confirmed_tos)

    def _confirmed_tos(self, confirmed: bool | None) -> None:
        if confirmed and self.app.session is not None:
            self.accept_tos(self.app.session)

    # -- workers -------------------------------------------------------------------------------------
    @work(exclusive=True, group="account-user")
    async def fetch(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        if client is None:  # checked by the caller; nothing to ask
            return
        try:
            user = await client.profile()
        except TmError as error:
            self.post_message(self.UserLoaded(None, error))
        else:
            self.post_message(self.UserLoaded(user))
        self.post_message(ContextChanged())  # a 401 may have refreshed or expired the login

    @work(exclusive=True, group="account-user")
    async def accept_tos(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        if client is None:
            return
        try:
            user = await client.accept_tos()
        except TmError as error:
            self.post_message(self.UserLoaded(None, error, note="✗ The terms were not accepted."))
            return
        self.post_message(self.UserLoaded(user, note="✓ Terms of service accepted."))

    # -- the handler ---------------------------------------------------------------------------------
    def on_profile_box_user_loaded(self, message: UserLoaded) -> None:
        user = self.query_one("#user", Static)
        user.loading = False
        if self.query_one(ErrorPanel).show(explain(message.error, "read the profile")):
            if self.user is None:
                user.update("")
        elif message.user is not None:
            self.user = message.user
            user.update(user_lines(message.user))
        self.show_note(message.note)

    def show_note(self, note: str) -> None:
        line = self.query_one("#user-message", Static)
        line.update(Text(note, "bold"))
        line.display = bool(note)
