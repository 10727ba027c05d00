"""Billing overview: the balance, spend over 24h / 7d / 30d, and daily spend with what cache reuse
saved (a second series) over 30 or 90 days, with the total saved and its share."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tm_tui.api.models.money import format_money
from tm_tui.billing.usage import saved_share
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.widgets.charts import ChartBox

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import SpendingBucket, SpendingSummary
    from tm_tui.api.models.money import Money

WINDOWS = (30, 90)


@dataclass(frozen=True)
class Overview:
    balance: Money
    summary: SpendingSummary
    history: list[SpendingBucket]  # oldest first

    def window(self, days: int) -> tuple[list[str], list[Decimal], list[Decimal]]:
        """Day labels (MM-DD), spend and saving of the last `days` buckets."""
        buckets = self.history[-days:]
        labels = [(b.bucket_start or "")[5:10] for b in buckets]
        spent = [b.amount.amount if b.amount else Decimal(0) for b in buckets]
        saved = [b.cost_saving.amount if b.cost_saving else Decimal(0) for b in buckets]
        return labels, spent, saved

    @property
    def currency(self) -> str:
        return self.balance.currency_code or "USD"


def money_text(money: Money | None) -> str:
    return "—" if money is None else str(money)


class OverviewPanel(BillingPanel):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days = WINDOWS[0]
        self.data: Overview | None = None

    def compose_content(self) -> ComposeResult:
        yield Static("", id="overview-figures", markup=False)
        yield ChartBox(id="overview-chart")

    async def fetch(self, client: ControlPlaneClient) -> Overview:
        balance, summary, history = await asyncio.gather(
            client.balance(), client.spending_summary(), client.spending_history()
        )
        history.sort(key=lambda b: b.bucket_start or "")
        return Overview(balance, summary, history)

    def show(self, data: Overview) -> None:
        self.data = data
        self.redraw()

    def toggle_window(self) -> None:
        self.days = WINDOWS[(WINDOWS.index(self.days) + 1) % len(WINDOWS)]
        self.redraw()

    def redraw(self) -> None:
        data = self.data
        if data is None:
            return
        labels, spent, saved = data.window(self.days)
        total_spent, total_saved = sum(spent, Decimal(0)), sum(saved, Decimal(0))
        share = saved_share(total_spent, total_saved)
        figures = Table.grid(padding=(0, 3))
        for _ in range(5):
            figures.add_column()
        cur = data.currency
        figures.add_row(
            Text("Balance", "dim"), Text("Last 24 h", "dim"), Text("7 days", "dim"), Text("30 days", "dim"),
            Text(f"Cache reuse saved ({len(labels)} days)", "dim"),
        )  # fmt: skip
        figures.add_row(
            Text(money_text(data.balance), "bold"),
            money_text(data.summary.spend24h),
            money_text(data.summary.spend7d),
            money_text(data.summary.spend30d),
            Text.assemble(
                (format_money(total_saved, cur), "bold green"),
                f"  {share}% of {format_money(total_spent + total_saved, cur)} without cache"
                if share is not None
                else "",
            ),
        )
        self.query_one("#overview-figures", Static).update(figures)
        self.query_one(ChartBox).show_bars(
            labels,
            {"spent": [float(v) for v in spent], "saved by cache": [float(v) for v in saved]},
            title=f"Daily spend and cache saving, last {len(labels)} days ({cur}) · w: 30/90 days",
            layout="stacked",
        )
