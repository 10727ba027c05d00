"""Billing pricing: serverless prices per 1M input / output / cached tokens with the active flag, and
GPU hourly prices by provider. On a serverless row, enter (or u) makes that model the Chat model."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Label, Static

from tm_tui.billing.transactions import short_enum
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.text_safety import sanitize

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import GpuPricing, ServerlessPricing
    from tm_tui.api.models.money import Money


@dataclass(frozen=True)
class Prices:
    serverless: list[ServerlessPricing]
    gpu: list[GpuPricing]
    gpu_error: BaseException | None = None  # GPU prices need the on-demand feature; shown, not fatal


def price(money: Money | None, places: int = 3) -> str:
    from tm_tui.api.models.money import format_money

    return "—" if money is None else format_money(money.amount, money.currency_code, places=places)


def active_text(active: bool | None) -> Text:
    return Text("active", "green") if active else Text("inactive" if active is False else "?", "dim")


class PricingPanel(BillingPanel):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models: list[str] = []

    def compose_content(self) -> ComposeResult:
        yield Label(
            "Serverless, per 1M tokens · enter or u: use the model in Chat", classes="billing-heading"
        )
        yield DataTable(id="pricing-serverless", cursor_type="row", zebra_stripes=True)
        yield Label("GPU hourly (on-demand), by provider", classes="billing-heading")
        yield Static("", id="pricing-gpu-note", markup=False)
        yield DataTable(id="pricing-gpu", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        super().on_mount()
        serverless = self.query_one("#pricing-serverless", DataTable)
        for column in ("Model", "Name", "Input", "Output", "Cached", "Pricing"):
            serverless.add_column(column, key=column)
        gpu = self.query_one("#pricing-gpu", DataTable)
        for column in ("Provider", "GPU", "Hourly", "Pricing"):
            gpu.add_column(column, key=column)

    async def fetch(self, client: ControlPlaneClient) -> Prices:
        from tm_tui.api.errors import TmError

        async def gpu() -> tuple[list[GpuPricing], BaseException | None]:
            try:
                return await client.gpu_pricing(), None
            except TmError as error:
                return [], error

        serverless, (gpu_rows, gpu_error) = await asyncio.gather(client.serverless_pricing(), gpu())
        return Prices(serverless, gpu_rows, gpu_error)

    def show(self, prices: Prices) -> None:
        table = self.query_one("#pricing-serverless", DataTable)
        table.clear()
        rows = sorted(prices.serverless, key=lambda p: (not p.is_active, p.model or ""))
        self.models = []
        for p in rows:
            self.models.append(p.model or "")
            table.add_row(
                Text(sanitize(p.model or "?")),
                Text(sanitize(p.name or "")),
                price(p.input_token_price),
                price(p.output_token_price),
                price(p.cached_token_price),
                active_text(p.is_active),
            )
        gpu = self.query_one("#pricing-gpu", DataTable)
        gpu.clear()
        for g in sorted(prices.gpu, key=lambda g: (g.cloud_provider or "", g.gpu_type or "")):
            gpu.add_row(
                short_enum(g.cloud_provider, "CLOUD_PROVIDER_"),
                short_enum(g.gpu_type, "GPU_TYPE_").upper(),
                price(g.hourly_rate, 2) + " / h",
                active_text(g.is_active),
            )
        note = self.query_one("#pricing-gpu-note", Static)
        note.display = prices.gpu_error is not None
        if prices.gpu_error is not None:
            note.update(Text(f"GPU prices unavailable: {sanitize(str(prices.gpu_error))}", "italic"))

    @property
    def highlighted_model(self) -> str | None:
        table = self.query_one("#pricing-serverless", DataTable)
        index = table.cursor_row
        return self.models[index] if 0 <= index < len(self.models) and self.models[index] else None
