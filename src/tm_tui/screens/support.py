"""Support section: your tickets page by page (numbered pages, a status filter), the whole
conversation of the highlighted one, new tickets, replies, closing with confirmation, and the
reserved-deployment request form.

Ticket text is untrusted: every subject, name and message is shown as plain `Text`, sanitised.
Workers post one message each; the handlers own the widgets. A failed load keeps what was shown.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tm_tui.screens.control_plane_section import LOGIN_HINT, ControlPlaneSection, needs_login
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.deployment_table import short_enum
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.stamps import stamp

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import Ticket, TicketsPage
    from tm_tui.session import Session

PAGE_SIZE = 10
STATUS_PREFIX = "TICKET_STATUS_"
# The filter cycles through these (None: every ticket).
STATUS_FILTERS: tuple[str | None, ...] = (
    None,
    "TICKET_STATUS_OPEN",
    "TICKET_STATUS_IN_PROGRESS",
    "TICKET_STATUS_CLOSED",
)
CLOSED = "TICKET_STATUS_CLOSED"
COLUMNS = ("Ticket", "Subject", "Status", "Updated", "Msgs")  # the type is in the conversation header


def status_label(status: str | None) -> str:
    return "all" if status is None else short_enum(status, STATUS_PREFIX).replace("_", " ")


def conversation_text(ticket: Ticket) -> Text:
    """The ticket's header and every message, oldest first, as plain text."""
    text = Text()
    text.append(sanitize(ticket.subject or "(no subject)"), "bold")
    text.append(
        f"\n{sanitize(ticket.ticket_id or '?')} · {status_label(ticket.status)} · "
        f"{short_enum(ticket.type, 'TICKET_TYPE_').replace('_', ' ')} · opened {stamp(ticket.created_at)}",
        "dim",
    )
    if not ticket.conversations:
        text.append("\n\nNo messages.", "italic")
    for message in ticket.conversations:
        staff = (message.user_role or "").endswith("ADMIN")
        who = sanitize(message.user_name or message.user_id or "?")
        text.append(f"\n\n{who}", "bold cyan" if staff else "bold")
        text.append(f"{' (support)' if staff else ''} · {stamp(message.created_at)}\n", "dim")
        text.append(sanitize(message.content or ""))
    return text


class SupportScreen(ControlPlaneSection):
    SECTION_ID = "support"
    CSS_PATH = Path(__file__).with_name("support.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_ticket", "New ticket", id="support.new", tooltip="Open a support ticket"),
        Binding("m", "reply", "Reply", id="support.reply", tooltip="Write a reply to the highlighted ticket"),
        Binding("c", "close_ticket", "Close", id="support.close", tooltip="Close the highlighted ticket"),
        # Out of the footer (80 columns): the line under the list says "Page 1 of 3 ([ ]) · status (f)".
        Binding(
            "f",
            "cycle_filter",
            "Status filter",
            show=False,
            id="support.filter",
            tooltip="all → open → in progress → closed",
        ),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False, id="support.page.prev"),
        Binding("right_square_bracket", "page(1)", "Next page", show=False, id="support.page.next"),
        Binding(
            "d", "reserved", "Reserve GPUs", id="support.reserved", tooltip="Request a reserved deployment"
        ),
        Binding("r", "refresh", "Refresh", id="support.refresh", tooltip="Load the tickets again"),
        Binding(
            "ctrl+l",
            "login",
            "Log in",
            show=False,  # the "not logged in" and 401 messages say "ctrl+l logs in"
            id="support.login",
            tooltip="Log in, then come back here",
        ),
        Binding("escape", "to_list", "Back to the list", show=False, id="support.list"),
    ]

    class PageLoaded(Message):
        def __init__(self, page: TicketsPage | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.page, self.error = page, error

    class TicketLoaded(Message):
        """A ticket's full record (after a load, reply or close) with a line saying what happened."""

        def __init__(
            self,
            ticket: Ticket | None,
            error: BaseException | None = None,
            *,
            done: str = "",
            reply: str = "",
        ) -> None:
            super().__init__()
            self.ticket, self.error, self.done, self.reply = ticket, error, done, reply

    def __init__(self) -> None:
        super().__init__()
        self.page_number = 1
        self.status_filter: str | None = None
        self.total: int | None = None
        self.tickets: dict[str, Ticket] = {}
        self.shown: Ticket | None = None  # the ticket whose conversation is on the right
        self._select_after_load: str | None = None
        self.notice: tuple[str | None, str] = (None, "")  # (ticket id, what was just done to it)

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="support-body"):
            with Vertical(id="tickets-pane"):
                yield Static("", id="tickets-status", markup=False)
                yield ErrorPanel(id="tickets-error")
                yield DataTable(id="tickets", cursor_type="row", zebra_stripes=True)
            with Vertical(id="conversation-box", classes="box") as box:
                box.border_title = "Conversation"
                with VerticalScroll(id="conversation-scroll"):
                    yield Static("", id="conversation", markup=False)
                yield ErrorPanel(id="ticket-error")
                yield Static("", id="ticket-message", markup=False)
                yield Input(placeholder="reply (m), then enter to send", id="reply-input")

    def on_mount(self) -> None:
        table = self.query_one("#tickets", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        for panel in self.query(ErrorPanel):
            panel.display = False
        super().on_mount()

    # -- loading -----------------------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        session = self.app.session
        if session is None:
            return
        if session.control_plane is None:
            self.query_one("#tickets-error", ErrorPanel).display = False
            self.query_one("#tickets-status", Static).update(Text(self.not_logged_in_text(), "italic"))
            self.query_one("#tickets", DataTable).clear()
            return
        self.query_one("#tickets", DataTable).loading = True
        self.load_page(session.control_plane, self.page_number, self.status_filter)

    @work(exclusive=True, group="support-page")
    async def load_page(self, client: ControlPlaneClient, number: int, status: str | None) -> None:
        from tm_tui.api.errors import TmError

        try:
            page = await client.tickets(number, PAGE_SIZE, status)
        except TmError as error:
            self.post_message(self.PageLoaded(None, error))
            if needs_login(error):
                self.post_message(ContextChanged())  # the login state may have changed
            return
        self.post_message(self.PageLoaded(page))

    def on_support_screen_page_loaded(self, message: PageLoaded) -> None:
        table = self.query_one("#tickets", DataTable)
        table.loading = False
        error_panel = self.query_one("#tickets-error", ErrorPanel)
        if error_panel.show(message.error):
            # The last good page stays; say what can be done.
            what = LOGIN_HINT if needs_login(message.error) else "r retries."
            kept = "The last loaded page is still shown. " if table.row_count else ""
            self.query_one("#tickets-status", Static).update(Text(kept + what, "italic"))
            return
        page = message.page
        assert page is not None
        self.total = page.total if page.total is not None else len(page.tickets)
        if page.page:
            self.page_number = page.page
        if not page.tickets and self.page_number > 1:
            self.page_number = max(1, self.page_count())  # the list shrank under us
            self.action_refresh()
            return
        self.fill_table(page.tickets)
        self.show_page_status()

    def page_count(self) -> int:
        return max(1, math.ceil((self.total or 0) / PAGE_SIZE))

    def show_page_status(self) -> None:
        shown = self.query_one("#tickets", DataTable).row_count
        if not shown:
            empty = "You have no support tickets. n opens one."
            if self.status_filter is not None:
                empty = f"No {status_label(self.status_filter)} tickets. f changes the filter."
            text = Text(empty, "italic")
        else:
            text = Text(
                f"Page {self.page_number} of {self.page_count()} ([ ]) · {self.total} tickets · "
                f"status: {status_label(self.status_filter)} (f)",
                "dim",
            )
        self.query_one("#tickets-status", Static).update(text)

    def fill_table(self, tickets: list[Ticket]) -> None:
        table = self.query_one("#tickets", DataTable)
        table.clear()
        self.tickets = {}
        for index, ticket in enumerate(tickets):
            key = ticket.ticket_id or f"row-{index}"
            self.tickets[key] = ticket
            style = "dim" if ticket.status == CLOSED else ""
            cells = (
                sanitize(ticket.ticket_id or "?"),
                sanitize(ticket.subject or "—"),
                status_label(ticket.status),
                stamp(ticket.updated_at),
                str(len(ticket.conversations)),
            )
            table.add_row(*(Text(cell, style) for cell in cells), key=key)
        wanted = self._select_after_load
        self._select_after_load = None
        if wanted in self.tickets:
            table.move_cursor(row=table.get_row_index(wanted))
        self.show_current()

    # -- the conversation follows the cursor ---------------------------------------------------------
    @property
    def current(self) -> Ticket | None:
        table = self.query_one("#tickets", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.tickets.get(key or "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_current()

    def show_current(self) -> None:
        self.refresh_bindings()  # reply / close / paging depend on the ticket and the page
        ticket = self.current
        if ticket is None:
            self.shown = None
            self.query_one("#conversation", Static).update(Text("No ticket highlighted.", "italic"))
            return
        if self.shown is not None and self.shown.ticket_id == ticket.ticket_id:
            return
        self.show_ticket(ticket)
        client = self.control_plane
        if client is not None and ticket.ticket_id:
            self.load_ticket(client, ticket.ticket_id)

    def show_ticket(self, ticket: Ticket) -> None:
        self.shown = ticket
        about, text = self.notice
        self.query_one("#ticket-message", Static).update(
            Text(text, "bold") if about == ticket.ticket_id else ""
        )
        self.query_one("#conversation", Static).update(conversation_text(ticket))
        self.query_one("#conversation-scroll", VerticalScroll).scroll_end(animate=False)

    @work(exclusive=True, group="support-ticket")
    async def load_ticket(self, client: ControlPlaneClient, ticket_id: str) -> None:
        from tm_tui.api.errors import TmError

        try:
            ticket = await client.ticket(ticket_id)
        except TmError as error:
            self.post_message(self.TicketLoaded(None, error))
            return
        self.post_message(self.TicketLoaded(ticket))

    def on_support_screen_ticket_loaded(self, message: TicketLoaded) -> None:
        reply = self.query_one("#reply-input", Input)
        if reply.disabled:  # a send finished: the input is usable again, where the user was
            reply.disabled = False
            reply.focus()
        if self.query_one("#ticket-error", ErrorPanel).show(message.error):
            self.query_one("#ticket-message", Static).update("")
            return
        ticket = message.ticket
        assert ticket is not None
        if message.reply and reply.value == message.reply:
            reply.value = ""  # sent: only now is the typed text let go
        if message.done:
            self.notice = (ticket.ticket_id, message.done)
        if ticket.ticket_id in self.tickets:  # the list row follows (status, message count)
            self.tickets[ticket.ticket_id] = ticket
            self.update_row(ticket)
        if self.shown is None or self.shown.ticket_id == ticket.ticket_id:
            self.show_ticket(ticket)

    def update_row(self, ticket: Ticket) -> None:
        table = self.query_one("#tickets", DataTable)
        key = ticket.ticket_id or ""
        style = "dim" if ticket.status == CLOSED else ""
        for column, value in (
            ("status", status_label(ticket.status)),
            ("updated", stamp(ticket.updated_at)),
            ("msgs", str(len(ticket.conversations))),
        ):
            table.update_cell(key, column, Text(value, style))

    # -- actions -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reply", "close_ticket"):
            ticket = self.current
            if ticket is None:
                return False
            return action == "reply" or ticket.status != CLOSED
        if action == "page":
            step = parameters[0] if parameters and isinstance(parameters[0], int) else 0
            return 1 <= self.page_number + step <= self.page_count()
        if action in ("new_ticket", "reserved", "cycle_filter"):
            return self.control_plane is not None
        return True

    def action_page(self, step: int) -> None:
        number = self.page_number + step
        if 1 <= number <= self.page_count():
            self.page_number = number
            self.action_refresh()
            self.refresh_bindings()

    def action_cycle_filter(self) -> None:
        index = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(index + 1) % len(STATUS_FILTERS)]
        self.page_number = 1
        self.action_refresh()

    def action_to_list(self) -> None:
        self.query_one("#tickets", DataTable).focus()

    def action_reply(self) -> None:
        if self.current is not None:
            self.query_one("#reply-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != "reply-input":
            return
        ticket, client = self.current, self.control_plane
        text = event.value.strip()
        status = self.query_one("#ticket-message", Static)
        if not text:
            status.update(Text("✗ Type a reply first.", "bold"))
            return
        if ticket is None or not ticket.ticket_id or client is None:
            return
        event.input.disabled = True  # until the answer: no double send
        status.update(Text("Sending…", "italic"))
        self.send_reply(client, ticket.ticket_id, event.value)

    @work(exclusive=True, group="support-write")
    async def send_reply(self, client: ControlPlaneClient, ticket_id: str, text: str) -> None:
        from tm_tui.api.errors import TmError

        try:
            ticket = await client.reply_ticket(ticket_id, text.strip())
        except TmError as error:
            self.post_message(self.TicketLoaded(None, error))
            return
        self.post_message(self.TicketLoaded(ticket, done="✓ Reply sent.", reply=text))

    def action_close_ticket(self) -> None:
        ticket = self.current
        if ticket is None or not ticket.ticket_id or ticket.status == CLOSED:
            return
        question = (
            f"Close ticket {sanitize(ticket.ticket_id)} “{sanitize(ticket.subject or '')}”? "
            "Support stops working on it; a reply reopens it."
        )
        self.app.push_screen(
            ConfirmScreen("Close ticket", question, yes="Close ticket"),
            lambda yes: self._confirmed_close(yes, ticket.ticket_id),
        )

    def _confirmed_close(self, confirmed: bool | None, ticket_id: str | None) -> None:
        client = self.control_plane
        if confirmed and ticket_id and client is not None:
            self.close_on_server(client, ticket_id)

    @work(exclusive=True, group="support-write")
    async def close_on_server(self, client: ControlPlaneClient, ticket_id: str) -> None:
        from tm_tui.api.errors import TmError

        try:
            ticket = await client.close_ticket(ticket_id)
        except TmError as error:
            self.post_message(self.TicketLoaded(None, error))
            return
        self.post_message(self.TicketLoaded(ticket, done=f"✓ Ticket {sanitize(ticket_id)} closed."))
        self.call_later(self.refresh_bindings)

    def action_new_ticket(self) -> None:
        from tm_tui.screens.support_forms import NewTicketForm

        client = self.control_plane
        if client is not None:
            self.app.push_screen(NewTicketForm(client), self._created)

    def _created(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        # New tickets come first: show page 1 of every status, with the new one highlighted.
        self.page_number, self.status_filter = 1, None
        self._select_after_load = ticket.ticket_id
        self.shown = None
        self.notice = (ticket.ticket_id, f"✓ Ticket {sanitize(ticket.ticket_id or '')} opened.")
        self.action_refresh()

    def action_reserved(self) -> None:
        from tm_tui.screens.support_forms import ReservedDeploymentForm

        client = self.control_plane
        if client is not None:
            self.app.push_screen(ReservedDeploymentForm(client), self._reserved_sent)

    def _reserved_sent(self, request_id: str | None) -> None:
        if request_id is not None:
            self.notify(
                f"Reserved-deployment request sent ({sanitize(request_id) or 'no id returned'}). "
                "Sales will contact you.",
                title="Request sent",
                timeout=8,
                markup=False,
            )
