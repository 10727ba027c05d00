"""Serverless usage per model over a window, priced the way `tm cost` does.

Cost at the model's prices: uncached input at the input price, cached input at the cached price (the
input price when there is none), output at the output price. Saving from cache reuse, as `tm cost`
computes it: cached tokens × input price / 1,000,000 — what those tokens would have cost uncached.
Pricing records: active ones win over inactive ones for the same model (`chat.cost.pricing_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tm_tui.chat.cost import PER_TOKENS, Pricing

BUCKETS = ("day", "week", "month")


@dataclass
class ModelUsage:
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    requests: int = 0
    cost: Decimal | None = None  # None: the model has no price
    saving: Decimal | None = None

    def price(self, pricing: Pricing | None) -> None:
        if pricing is None:
            return
        cached = min(self.cached_tokens, self.input_tokens)
        cached_price = pricing.input if pricing.cached is None else pricing.cached
        self.cost = (
            Decimal(self.input_tokens - cached) * pricing.input
            + Decimal(cached) * cached_price
            + Decimal(self.output_tokens) * pricing.output
        ) / PER_TOKENS
        self.saving = Decimal(self.cached_tokens) * pricing.input / PER_TOKENS


@dataclass
class UsageReport:
    models: list[ModelUsage]  # most expensive first
    buckets: list[str] = field(default_factory=list)  # bucket start days, oldest first
    # cost per (bucket, model), for the stacked chart
    cost_by_bucket: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def total_cost(self) -> Decimal:
        return sum((m.cost or Decimal(0) for m in self.models), Decimal(0))

    @property
    def total_saving(self) -> Decimal:
        return sum((m.saving or Decimal(0) for m in self.models), Decimal(0))


def usage_report(rows: Iterable, pricing: Mapping[str, Pricing]) -> UsageReport:
    """Sum `serverless-usage/history` rows (`UsageRow`s) per model and per bucket."""
    per_model: dict[str, ModelUsage] = {}
    by_bucket: dict[tuple[str, str], ModelUsage] = {}
    for row in rows:
        model = row.model_id or "?"
        bucket = (row.bucket_start or "")[:10]
        for target in (
            per_model.setdefault(model, ModelUsage(model)),
            by_bucket.setdefault((bucket, model), ModelUsage(model)),
        ):
            target.input_tokens += row.input_tokens
            target.output_tokens += row.output_tokens
            target.cached_tokens += row.cached_tokens
            target.requests += row.request_count
    for usage in (*per_model.values(), *by_bucket.values()):
        usage.price(pricing.get(usage.model))
    models = sorted(per_model.values(), key=lambda m: (-(m.cost or Decimal(-1)), m.model))
    return UsageReport(
        models=models,
        buckets=sorted({bucket for bucket, _ in by_bucket}),
        cost_by_bucket={key: u.cost or Decimal(0) for key, u in by_bucket.items()},
    )


def saved_share(spent: Decimal, saved: Decimal) -> Decimal | None:
    """Saved as a share of what would have been spent without cache reuse (spent + saved), in %."""
    base = spent + saved
    if base <= 0:
        return None
    return (saved / base * 100).quantize(Decimal("0.1"))
