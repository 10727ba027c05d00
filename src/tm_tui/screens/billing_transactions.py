"""Billing transactions: loaded a page at a time as the user scrolls (never all at start), filtered by
type, status and date range and sorted by date or amount over the pages loaded so far, with a detail
pane that breaks a serverless charge down by model (`details.models`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from tm_tui.api.models.money import format_money
from tm_tui.billing.times import local_text, parse_day
from tm_tui.billing.transactions import TxnFilter, TxnRow, model_charges, view
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.paged_table import Column, PagedTable

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import TransactionsPage

PAGE_SIZE = 100
TYPES = ("charge", "topup", "refund", "credit")
STATUSES = ("succeeded", "pending", "failed", "refunded")
SORTS = (("date", True), ("date", False), ("amount", True), ("amount", False))
COLUMNS = (
    Column("When", 20),
    Column("Type", 7),
    Column("Status", 9),
    Column("Amount", 12, "right"),
    Column("Description"),
)
STATUS_STYLES = {"failed": "red", "refunded": "yellow", "pending": "italic"}


def row_cells(row: TxnRow) -> list[Text]:
    amount = format_money(row.signed, row.currency)
    return [
        Text(local_text(row.created)),
        Text(row.type),
        Text(row.status, STATUS_STYLES.get(row.status, "")),
        Text(amount, "green" if row.signed > 0 else ""),
        Text(sanitize(row.description)),
    ]


def detail(row: TxnRow) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in (
        ("Id", row.id),
        ("When", local_text(row.created, seconds=True)),
        ("Type", row.type),
        ("Status", row.status),
        ("Amount", f"{format_money(row.amount, row.currency)} ({row.amount} {row.currency})"),
        ("What", row.description or "—"),
    ):
        table.add_row(label, Text(sanitize(value)))
    charges = model_charges(row.details)
    if charges:
        table.add_row("", "")
        table.add_row("Models", Text(f"{len(charges)} (events · input / output tokens · amount)", "dim"))
        for c in charges:
            amount = "?" if c.amount is None else format_money(c.amount, row.currency, places=4)
            line = Text.assemble((sanitize(c.name), "bold"), "\n")
            line.append(f"{c.events:,} · {c.input_tokens:,} / {c.output_tokens:,} · {amount}")
            table.add_row("", line)
    return table


class TransactionsPanel(BillingPanel):
    class PageLoaded(Message):
        def __init__(self, page: TransactionsPage | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.page, self.error = page, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.loaded: list[TxnRow] = []
        self.shown: list[TxnRow] = []
        self.next_token: str | None = None
        self.fetching_page = False
        self.where = TxnFilter()
        self.sort_index = 0
        self.client: ControlPlaneClient | None = None

    def compose_content(self) -> ComposeResult:
        with Horizontal(classes="billing-controls"):
            yield Select([(t, t) for t in TYPES], prompt="any type", id="txn-type", compact=True)
            yield Select([(s, s) for s in STATUSES], prompt="any status", id="txn-status", compact=True)
            yield Label("From")
            yield Input("", placeholder="YYYY-MM-DD", id="txn-from", classes="date-input", compact=True)
            yield Label("to")
            yield Input("", placeholder="YYYY-MM-DD", id="txn-to", classes="date-input", compact=True)
        yield Static("", id="txn-note", markup=False)
        with Horizontal(id="txn-body"):
            yield PagedTable(COLUMNS, cells=row_cells, read_ahead=PAGE_SIZE, id="txn-table")
            with Vertical(id="txn-detail-box", classes="box") as box:
                box.border_title = "Detail"
                yield Static("", id="txn-detail", markup=False)
        yield ErrorPanel(id="txn-page-error")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#txn-page-error").display = False

    # -- loading: the first page through the panel, later ones as the table asks -------------------
    def reload(self, client: ControlPlaneClient) -> None:
        self.client = client
        super().reload(client)

    async def fetch(self, client: ControlPlaneClient) -> TransactionsPage:
        return await client.transactions(PAGE_SIZE)

    def show(self, page: TransactionsPage) -> None:
        self.loaded = []
        self.next_token = None
        self.fetching_page = False
        self.add_page(page)

    def on_paged_table_need_more(self, event: PagedTable.NeedMore) -> None:
        event.stop()
        if self.next_token and not self.fetching_page and self.client is not None:
            self.fetching_page = True
            self.show_note()
            self.run_worker(
                self._next_page(self.client, self.next_token), group="billing-txn-page", exclusive=True
            )

    async def _next_page(self, client: ControlPlaneClient, token: str) -> None:
        from tm_tui.api.errors import TmError

        try:
            page = await client.transactions(PAGE_SIZE, token)
        except TmError as error:
            self.post_message(self.PageLoaded(None, error))
            return
        self.post_message(self.PageLoaded(page))

    def on_transactions_panel_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        self.fetching_page = False
        if self.query_one("#txn-page-error", ErrorPanel).show(message.error) or message.page is None:
            self.show_note()
            return
        self.add_page(message.page)

    def add_page(self, page: TransactionsPage) -> None:
        rows = [TxnRow.of(t) for t in page.transactions]
        self.loaded.extend(rows)
        token = page.next_page_token or None
        self.next_token = None if token == self.next_token else token  # a repeated token ends paging
        first = len(self.loaded) == len(rows)
        if first or self.where.active or self.sort_index:
            self.refilter(keep_cursor=not first)
            return
        # The server's order (newest first) with no filter: the new page just goes below.
        self.shown.extend(rows)
        self.query_one(PagedTable).append_rows(rows)
        self.show_note()

    # -- filters, sort, detail ---------------------------------------------------------------------
    def read_filter(self) -> TxnFilter | None:
        try:
            start = self._day("#txn-from")
            end = self._day("#txn-to")
        except ValueError as error:
            self.query_one("#txn-note", Static).update(Text(f"✗ {error}", "bold"))
            return None
        kind, status = (self.query_one(f"#txn-{n}", Select) for n in ("type", "status"))
        return TxnFilter(
            type="" if kind.is_blank() else str(kind.value),
            status="" if status.is_blank() else str(status.value),
            start=start,
            end=end,
        )

    def _day(self, selector: str) -> Any:
        text = self.query_one(selector, Input).value.strip()
        return parse_day(text) if text else None

    def apply_filter(self) -> None:
        where = self.read_filter()
        if where is not None:
            self.where = where
            self.refilter()

    def cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refilter()

    def refilter(self, *, keep_cursor: bool = False) -> None:
        sort, descending = SORTS[self.sort_index]
        self.shown = view(self.loaded, self.where, sort, descending)
        table = self.query_one(PagedTable)
        table.placeholder = Text("No transaction matches the filters (yet).", "italic")
        table.set_rows(self.shown, keep_cursor=keep_cursor)
        self.show_note()
        self.show_detail()

    def show_note(self) -> None:
        sort, descending = SORTS[self.sort_index]
        more = (
            "loading more…"
            if self.fetching_page
            else "more load as you scroll"
            if self.next_token
            else "all loaded"
        )
        text = Text.assemble(
            (f"{len(self.shown):,} shown", "bold"),
            f" of {len(self.loaded):,} loaded ({more}) · by {sort} {'↓' if descending else '↑'} (s)",
            ("  · enter applies a field · x exports these", "dim"),
        )
        self.query_one("#txn-note", Static).update(text)

    def on_paged_table_highlighted(self, event: PagedTable.Highlighted) -> None:
        event.stop()
        self.show_detail()

    def show_detail(self) -> None:
        index = self.query_one(PagedTable).cursor
        pane = self.query_one("#txn-detail", Static)
        # The pane's size is fixed: no layout pass on every cursor move.
        if 0 <= index < len(self.shown):
            pane.update(detail(self.shown[index]), layout=False)
        else:
            pane.update(Text("No transaction highlighted.", "italic"), layout=False)
