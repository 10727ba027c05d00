"""Support section (F9): tickets in one list loading the next page as you scroll, a status filter, the whole conversation as plain
text, create / reply / close (with confirmation), the reserved-deployment form validated field by
field, and every failure shown in place with the last good data kept."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from textual.widgets import Input, Static, TextArea

from tm_tui.emulator.faults import HOSTILE_TEXT
from tm_tui.emulator.seed import pad_tickets
from tm_tui.screens.support import PAGE_SIZE, SupportScreen, ticket_cells
from tm_tui.screens.support_forms import NewTicketForm, ReservedDeploymentForm, field_errors
from tm_tui.widgets.confirm import ConfirmScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.login_panel import LoginPanel
from tm_tui.widgets.paged_table import PagedTable

from .helpers import SIZE, frozen_emulator, open_section, plain, settle, snapshot_of, wait_until

SUPPORT = "support"
SEEDED = 28  # tickets in the emulator's seed, 20 of them closed


@pytest.fixture
def emulator():
    with frozen_emulator() as running:
        yield running


def table(app) -> PagedTable:
    return app.screen.query_one("#tickets", PagedTable)


def cell(app, row: int, column: int) -> str:
    return str(ticket_cells(table(app).rows[row])[column])


def status(app) -> str:
    return plain(app.screen.query_one("#tickets-status", Static))


def conversation(app) -> str:
    return plain(app.screen.query_one("#conversation", Static))


def ticket_message(app) -> str:
    return plain(app.screen.query_one("#ticket-message", Static))


def first_column(app) -> list[str]:
    return [str(ticket_cells(ticket)[0]) for ticket in table(app).rows]


async def test_list_and_status_filter(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        assert isinstance(app.screen, SupportScreen)
        assert len(table(app).rows) == SEEDED
        assert f"{SEEDED} of {SEEDED} tickets (all loaded)" in status(app)

        await pilot.press("f")  # all → open
        await settle(pilot)
        assert "status: open" in status(app)
        assert {cell(app, i, 2) for i in range(len(table(app).rows))} == {"open"}
        await pilot.press("f", "f")  # → in progress → closed
        await settle(pilot)
        assert "status: closed" in status(app) and "20 of 20 tickets" in status(app)


async def test_next_pages_load_as_the_cursor_nears_the_end(emulator_env, make_app, emulator):
    data = emulator.control_plane.data
    data.tickets[:] = pad_tickets(data.tickets, PAGE_SIZE * 2 + 7)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        assert len(table(app).rows) == PAGE_SIZE  # only the first page at start
        assert f"{PAGE_SIZE} of {PAGE_SIZE * 2 + 7} tickets (more as you scroll)" in status(app)
        table(app).focus()
        await pilot.press("down")  # browsing has started: the next page is read ahead
        await settle(pilot)
        assert len(table(app).rows) == PAGE_SIZE * 2 and table(app).cursor == 1
        for _ in range(3):  # each End reaches the last loaded ticket, which asks for the next page
            await pilot.press("end")
            await settle(pilot)
        assert first_column(app) == [t["ticketId"] for t in data.tickets]  # in order, none twice
        assert table(app).cursor == len(data.tickets) - 1
        assert "(all loaded)" in status(app)
        assert data.tickets[-1]["subject"] in conversation(app)  # the conversation follows
        await pilot.press("home")
        await settle(pilot)
        assert table(app).cursor == 0 and data.tickets[0]["subject"] in conversation(app)


async def test_conversation_is_plain_text(emulator_env, make_app, emulator):
    hostile = f"bidi \u202egnp.exe{HOSTILE_TEXT}"
    ticket = emulator.control_plane.data.tickets[0]
    ticket["subject"] = "[bold]subject[/bold] \x1b[31m"
    ticket["conversations"][0]["content"] = hostile
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        shown = conversation(app)
        assert "[bold]subject[/bold]" in shown  # markup shown as typed, not applied
        assert "[bold red]ALERT[/bold red]" in shown
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert "<U+202E>gnp.exe" in shown
        subject = cell(app, 0, 1)
        assert subject.startswith("[bold]subject[/bold]") and "\x1b" not in subject


async def test_create_reply_close(emulator_env, make_app, emulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketForm)
        await pilot.press("ctrl+s")  # empty: nothing is sent
        await settle(pilot)
        assert isinstance(app.screen, NewTicketForm)
        assert "Required" in plain(form.query_one("#subject-error", Static))
        assert "Required" in plain(form.query_one("#message-error", Static))
        form.query_one("#subject", Input).value = "GPU quota"
        form.query_one("#message", TextArea).text = "Please raise my quota.\nThanks"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SupportScreen)
        created = emulator.control_plane.data.tickets[0]
        assert created["subject"] == "GPU quota" and created["type"] == "TICKET_TYPE_TECHNICAL"
        assert first_column(app)[0] == created["ticketId"]
        assert table(app).cursor == 0
        assert "Please raise my quota." in conversation(app)
        assert "opened" in ticket_message(app)

        await pilot.press("m")
        reply = app.screen.query_one("#reply-input", Input)
        assert reply.has_focus
        await pilot.press(*"more detail", "enter")
        await settle(pilot)
        assert "✓ Reply sent." in ticket_message(app)
        assert reply.value == ""
        assert "more detail" in conversation(app)
        assert created["conversations"][-1]["content"] == "more detail"
        assert cell(app, 0, 4) == "2"

        table(app).focus()
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # cancel: still open
        await settle(pilot)
        assert created["status"] == "TICKET_STATUS_OPEN"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert created["status"] == "TICKET_STATUS_CLOSED"
        assert cell(app, 0, 2) == "closed"
        assert "closed" in ticket_message(app)
        assert not app.screen.check_action("close_ticket", ())


async def test_failed_create_keeps_the_form_and_adds_nothing(emulator_env, make_app, emulator):
    emulator.state.faults.add("status=503,method=POST@control_plane:/v1/support/tickets#times=1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        before = first_column(app)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#subject", Input).value = "Will fail"
        form.query_one("#message", TextArea).text = "body"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open, text kept
        assert form.query_one("#subject", Input).value == "Will fail"
        assert form.query_one("#form-error", ErrorPanel).display
        assert "Not sent" in plain(form.query_one("#form-message", Static))
        assert len(emulator.control_plane.data.tickets) == SEEDED
        await pilot.press("ctrl+s")  # retry succeeds
        await settle(pilot)
        assert isinstance(app.screen, SupportScreen)
        assert first_column(app)[0] not in before


async def test_failed_reply_keeps_the_text(emulator_env, make_app, emulator):
    emulator.state.faults.add("status=500@control_plane:/v1/support/tickets/*/messages#times=1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        await pilot.press("m", *"hello", "enter")
        await settle(pilot)
        reply = app.screen.query_one("#reply-input", Input)
        assert reply.value == "hello" and not reply.disabled
        assert app.screen.query_one("#ticket-error", ErrorPanel).display
        await pilot.press("enter")
        await settle(pilot)
        assert reply.value == "" and "✓ Reply sent." in ticket_message(app)


def test_reserved_form_checks_each_field():
    fields = ReservedDeploymentForm.FIELDS
    errors = field_errors(fields, {"work_email": "not-an-email", "job_title": "x" * 201})
    assert errors == {
        "full_name": "Required.",
        "work_email": "Not an email address.",
        "company": "Required.",
        "job_title": "At most 200 characters (201 now).",
        "total_gpus_needed": "Required.",
        "workload_use_case": "Required.",
    }


async def test_reserved_deployment_request(emulator_env, make_app, emulator):
    emulator.state.faults.add("status=400@control_plane:/v1/support/reserved-deployments#times=1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        await pilot.press("d")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReservedDeploymentForm)
        form.query_one("#work_email", Input).value = "ada@"
        await pilot.pause()
        assert "Not an email" in plain(form.query_one("#work_email-error", Static))
        assert not form.query_one("#full_name-error", Static).display  # untouched: no complaint yet
        for name, value in (
            ("full_name", "Ada Lovelace"),
            ("work_email", "ada@example.com"),
            ("company", "Analytical Engines"),
            ("total_gpus_needed", "8-16 GPUs"),
            ("workload_use_case", "RAG chat"),
        ):
            form.query_one(f"#{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # the server said no: shown on the form, nothing lost
        assert "HTTP 400" in plain(form.query_one("#form-error", ErrorPanel))
        assert form.query_one("#company", Input).value == "Analytical Engines"
        assert emulator.control_plane.data.reserved_requests == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SupportScreen)
        (sent,) = emulator.control_plane.data.reserved_requests
        assert sent["workEmail"] == "ada@example.com" and sent["totalGpusNeeded"] == "8-16 GPUs"
        assert "jobTitle" not in sent


@pytest.mark.parametrize(
    ("fault", "title", "words"),
    [
        ("status=401", "Not authorised", "ctrl+l"),
        ("status=403", "Permission denied", "r retries"),
    ],
)
async def test_errors_keep_the_page(emulator_env, make_app, emulator, fault, title, words):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        rows = first_column(app)
        emulator.state.faults.add(f"{fault}@control_plane:/v1/support/tickets#times=5")
        await pilot.press("r")
        await settle(pilot)
        panel = app.screen.query_one("#tickets-error", ErrorPanel)
        assert panel.display and panel.info is not None and panel.info.title == title
        assert first_column(app) == rows  # what was shown stays
        assert words in status(app)


async def test_network_error_then_retry(emulator_env, make_app, emulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        rows = first_column(app)
        fault = emulator.state.faults.add("reset@control_plane:/v1/support/tickets")
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("#tickets-error", ErrorPanel).display
        assert first_column(app) == rows and "r retries" in status(app)
        emulator.state.faults.remove(fault.id)
        await pilot.press("r")
        await settle(pilot)
        assert not app.screen.query_one("#tickets-error", ErrorPanel).display
        assert f"{SEEDED} of {SEEDED} tickets" in status(app)


async def test_empty_state(emulator_env, make_app, emulator):
    emulator.control_plane.data.tickets.clear()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        assert "You have no support tickets" in status(app)
        assert "No ticket highlighted" in conversation(app)
        assert not app.screen.check_action("close_ticket", ())


def test_snapshot_support(snap_compare, emulator_env, pinned_urls, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(SUPPORT))


def test_snapshot_reserved_form(snap_compare, emulator_env, pinned_urls, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(SUPPORT, "d", "ctrl+s"))


async def test_login_from_support_comes_back(emulator, make_app):
    """Not logged in: the section says so; ctrl+l runs Account's browser login, then returns here."""
    app = make_app(
        control_plane_url=emulator.control_plane_base_url,
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, SUPPORT)
        assert "ctrl+l logs in" in status(app) and not table(app).rows
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.current_section == "account", "Account to open")
        panel = app.screen.query_one(LoginPanel)
        await wait_until(pilot, lambda: panel.url, "the login URL")
        user_code = parse_qs(urlparse(panel.url).query)["code"][0]
        assert emulator.control_plane.approve(emulator.control_plane.login.by_user_code(user_code).cli_code)
        await wait_until(pilot, lambda: app.current_section == SUPPORT, "the way back to Support")
        await settle(pilot)
        assert len(table(app).rows) == SEEDED and f"{SEEDED} of {SEEDED} tickets" in status(app)
