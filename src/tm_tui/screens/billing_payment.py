"""Billing payment methods (brand, last 4, expiry, default) and the billing address: viewed, and
edited (e) with checks as the user saves; a server refusal is shown on the form and nothing typed is
lost. Esc leaves the form unchanged."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from tm_tui.billing.address import FIELDS, normalize, problems
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import BillingAddress, PaymentMethod


@dataclass(frozen=True)
class Payment:
    methods: list[PaymentMethod]
    address: BillingAddress


def address_view(address: BillingAddress) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for key, label, _ in FIELDS:
        table.add_row(label, Text(sanitize(getattr(address, key) or "—")))
    return table


class PaymentPanel(BillingPanel):
    class Saved(Message):
        def __init__(self, address: BillingAddress | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.address, self.error = address, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.address: BillingAddress | None = None

    def compose_content(self) -> ComposeResult:
        yield Label("Payment methods", classes="billing-heading")
        yield DataTable(id="payment-methods", cursor_type="row", zebra_stripes=True)
        yield Label("Billing address · e edits", classes="billing-heading")
        yield Static("", id="address-view", markup=False)
        with Vertical(id="address-form"):
            with Grid(id="address-grid"):
                for key, label, required in FIELDS:
                    yield Label(label + (" *" if required else ""))
                    yield Input(id=f"address-{key}", compact=True)
                    yield Static("", id=f"address-{key}-problem", classes="field-problem", markup=False)
            yield Static(
                Text("enter saves · esc cancels · * required", "dim"), id="address-help", markup=False
            )
            yield ErrorPanel(id="address-error")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#payment-methods", DataTable)
        for column in ("Brand", "Number", "Expires", "Default", "Id"):
            table.add_column(column, key=column)
        self.query_one("#address-form").display = False
        self.query_one("#address-error").display = False

    async def fetch(self, client: ControlPlaneClient) -> Payment:
        methods, address = await asyncio.gather(client.payment_methods(), client.billing_address())
        return Payment(methods.payment_methods, address)

    def show(self, data: Payment) -> None:
        table = self.query_one("#payment-methods", DataTable)
        table.clear()
        for m in data.methods:
            expiry = f"{m.exp_month:02d}/{m.exp_year}" if m.exp_month and m.exp_year else "—"
            table.add_row(
                Text(sanitize((m.brand or m.type or "?").title())),
                f"•••• {sanitize(m.last4 or '????')}",
                expiry,
                Text("✓ default", "green") if m.is_default else "",
                Text(sanitize(m.stripe_payment_method_id or ""), "dim"),
            )
        if not data.methods:
            table.add_row(Text("No payment method on file.", "italic"), "", "", "", "")
        if not self.editing:  # a reload never overwrites what is being typed
            self.show_address(data.address)

    def show_address(self, address: BillingAddress) -> None:
        self.address = address
        self.query_one("#address-view", Static).update(address_view(address))

    # -- editing -----------------------------------------------------------------------------------
    @property
    def editing(self) -> bool:
        return bool(self.query_one("#address-form").display)

    def edit(self) -> None:
        if self.address is None:
            return
        for key, _, _ in FIELDS:
            self.query_one(f"#address-{key}", Input).value = getattr(self.address, key) or ""
            self.query_one(f"#address-{key}-problem", Static).update("")
        self.query_one("#address-error").display = False
        self.query_one("#address-view").display = False
        self.query_one("#address-form").display = True
        self.query_one(f"#address-{FIELDS[0][0]}", Input).focus()

    def cancel(self) -> None:
        self.query_one("#address-form").display = False
        self.query_one("#address-view").display = True
        self.query_one("#payment-methods").focus()  # not a hidden field, which would swallow keys

    def form_values(self) -> dict[str, str]:
        return normalize({key: self.query_one(f"#address-{key}", Input).value for key, _, _ in FIELDS})

    def save(self, client: ControlPlaneClient) -> None:
        """Check the form; if it is fine, send it (the form stays until the server agrees)."""
        from tm_tui.api.models.control_plane import BillingAddress

        values = self.form_values()
        found = problems(values)
        for key, _, _ in FIELDS:
            self.query_one(f"#address-{key}-problem", Static).update(Text(found.get(key, ""), "bold red"))
        if found:
            self.query_one(f"#address-{next(iter(found))}", Input).focus()
            return
        address = BillingAddress(**{k: v or None for k, v in values.items()})
        self.query_one("#address-help", Static).update(Text("Saving…", "italic"))
        self.run_worker(self._save(client, address), group="billing-address", exclusive=True)

    async def _save(self, client: ControlPlaneClient, address: BillingAddress) -> None:
        from tm_tui.api.errors import TmError

        try:
            await client.update_billing_address(address)
        except TmError as error:
            self.post_message(self.Saved(None, error))
            return
        self.post_message(self.Saved(address))

    def on_payment_panel_saved(self, message: Saved) -> None:
        message.stop()
        self.query_one("#address-help", Static).update(Text("enter saves · esc cancels · * required", "dim"))
        if self.query_one("#address-error", ErrorPanel).show(message.error) or message.address is None:
            return  # the form keeps every value typed
        self.show_address(message.address)
        self.cancel()
        self.notify("Billing address saved.", title="Billing")
