"""Billing usage by model: a bucket (day / week / month) and a date range (UTC days); per model the
input, output and cached tokens, requests, the cost at the model's prices and what cache reuse saved
(as `tm cost` computes it); a chart of cost per bucket stacked by model."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from tm_tui.api.models.money import format_money
from tm_tui.billing.times import parse_day
from tm_tui.billing.usage import BUCKETS, UsageReport, saved_share, usage_report
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.text_safety import sanitize
from tm_tui.widgets.charts import ChartBox

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient

DEFAULT_DAYS = 30
COLUMNS = ("Model", "Requests", "Input", "Output", "Cached", "Cost", "Saved")


def today() -> date:
    """The last day of the default range (tests pin it to the emulator's seeded `now`)."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class UsageQuery:
    bucket: str
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), UTC) - timedelta(seconds=1)

    @classmethod
    def default(cls) -> UsageQuery:
        last = today()
        return cls("day", last - timedelta(days=DEFAULT_DAYS - 1), last)


def usage_records(report: UsageReport) -> list[dict[str, str]]:
    """The usage table as export rows (exact decimals)."""
    return [
        {
            "model": m.model,
            "requests": str(m.requests),
            "input_tokens": str(m.input_tokens),
            "output_tokens": str(m.output_tokens),
            "cached_tokens": str(m.cached_tokens),
            "cost": "" if m.cost is None else str(m.cost),
            "cache_saving": "" if m.saving is None else str(m.saving),
        }
        for m in report.models
    ]


def _money(amount: Decimal | None) -> str:
    return "—" if amount is None else format_money(amount, "USD")


class UsagePanel(BillingPanel):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.query_params = UsageQuery.default()
        self.report: UsageReport | None = None

    def compose_content(self) -> ComposeResult:
        q = self.query_params
        with Horizontal(classes="billing-controls"):
            yield Label("Bucket")
            yield Select([(b, b) for b in BUCKETS], value=q.bucket, allow_blank=False, id="usage-bucket", compact=True)  # fmt: skip
            yield Label("From")
            yield Input(q.first.isoformat(), id="usage-from", classes="date-input", compact=True)
            yield Label("to")
            yield Input(q.last.isoformat(), id="usage-to", classes="date-input", compact=True)
            yield Label("(UTC days; enter applies)", classes="dim-label")
        yield Static("", id="usage-note", markup=False)
        yield DataTable(id="usage-table", cursor_type="row", zebra_stripes=True)
        yield ChartBox(id="usage-chart")

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)

    async def fetch(self, client: ControlPlaneClient) -> UsageReport:
        from tm_tui.chat.cost import pricing_table

        q = self.query_params
        rows, pricing = await asyncio.gather(
            client.serverless_usage_history(q.bucket, q.start, q.end),
            client.serverless_pricing(active_only=False),
        )
        return usage_report(rows, pricing_table(pricing))

    def read_query(self) -> UsageQuery | None:
        """The query the controls describe, or None with the reason shown beside them."""
        note = self.query_one("#usage-note", Static)
        try:
            first = parse_day(self.query_one("#usage-from", Input).value)
            last = parse_day(self.query_one("#usage-to", Input).value)
        except ValueError as error:
            note.update(Text(f"✗ {error}", "bold"))
            return None
        if first > last:
            note.update(Text("✗ The range starts after it ends.", "bold"))
            return None
        note.update("")
        return UsageQuery(str(self.query_one("#usage-bucket", Select).value), first, last)

    def show(self, report: UsageReport) -> None:
        self.report = report
        table = self.query_one(DataTable)
        table.clear()
        for m in report.models:
            table.add_row(
                Text(sanitize(m.model)),
                f"{m.requests:,}",
                f"{m.input_tokens:,}",
                f"{m.output_tokens:,}",
                f"{m.cached_tokens:,}",
                _money(m.cost),
                Text(_money(m.saving), "green"),
            )
        share = saved_share(report.total_cost, report.total_saving)
        q = self.query_params
        self.query_one("#usage-note", Static).update(
            Text.assemble(
                f"{q.first} – {q.last} by {q.bucket}: ",
                (f"{len(report.models)} models, cost {_money(report.total_cost)}", "bold"),
                ", cache reuse saved ",
                (_money(report.total_saving), "bold green"),
                f" ({share}%)" if share is not None else "",
                ("  · x exports the table", "dim"),
            )
        )
        models = [m.model for m in report.models]
        labels = [b[5:] if q.bucket != "month" else b[:7] for b in report.buckets]
        series = {
            model.rsplit("/", 1)[-1]: [
                float(report.cost_by_bucket.get((b, model), 0)) for b in report.buckets
            ]
            for model in models
        }
        self.query_one(ChartBox).show_bars(
            labels, series, title=f"Cost per {q.bucket} by model (USD)", layout="stacked"
        )
