"""What a turn cost, from serverless pricing (USD per 1,000,000 tokens), in exact decimals.

Cached prompt tokens are charged at the cached price (the input price when a model has none). When
usage is missing (a cut stream) or the model has no price, the cost is unknown — `None` — and the
playground says so; nothing here estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, Protocol

PER_TOKENS = Decimal(1_000_000)
SIGNIFICANT_DIGITS = 3


class Pricing(NamedTuple):
    """USD per 1,000,000 tokens."""

    input: Decimal
    output: Decimal
    cached: Decimal | None = None


PricingTable = Mapping[str, Pricing]


class UsageLike(Protocol):
    prompt_tokens: int
    completion_tokens: int | None
    total_tokens: int

    @property
    def cached_tokens(self) -> int: ...


@dataclass(frozen=True)
class TurnCost:
    input: Decimal  # uncached prompt tokens
    cached: Decimal  # cached prompt tokens
    output: Decimal

    @property
    def total(self) -> Decimal:
        return self.input + self.cached + self.output


@dataclass(frozen=True)
class ConversationCost:
    total: Decimal
    priced_turns: int
    unpriced_turns: int  # answers whose cost is unknown; `total` leaves them out

    @property
    def complete(self) -> bool:
        return self.unpriced_turns == 0


def turn_cost(model: str | None, usage: UsageLike | None, pricing: PricingTable) -> TurnCost | None:
    price = pricing.get(model) if model else None
    if usage is None or price is None:
        return None
    completion = usage.completion_tokens
    if completion is None:  # total - prompt is a count the server did send, not a guess
        completion = usage.total_tokens - usage.prompt_tokens
    if completion < 0 or usage.prompt_tokens < 0:
        return None
    cached = min(max(usage.cached_tokens, 0), usage.prompt_tokens)
    cached_price = price.input if price.cached is None else price.cached
    return TurnCost(
        input=Decimal(usage.prompt_tokens - cached) * price.input / PER_TOKENS,
        cached=Decimal(cached) * cached_price / PER_TOKENS,
        output=Decimal(completion) * price.output / PER_TOKENS,
    )


def conversation_cost(costs: Iterable[Decimal | None]) -> ConversationCost:
    """Sum the known costs of a conversation's answers and count the unknown ones."""
    total, priced, unpriced = Decimal(0), 0, 0
    for cost in costs:
        if cost is None:
            unpriced += 1
        else:
            total += cost
            priced += 1
    return ConversationCost(total, priced, unpriced)


def format_usd(amount: Decimal | None, *, unknown: str = "n/a") -> str:
    """`$12.35` from a dollar up; below, three significant digits (`$0.000123`, `$0.50`)."""
    if amount is None:
        return unknown
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        return "$0.00"
    if amount >= 1:
        return f"{sign}${amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    places = max(2, SIGNIFICANT_DIGITS - 1 - amount.adjusted())
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".rstrip("0")
    decimals = len(text.partition(".")[2])
    if decimals < 2:
        text = f"{rounded:.2f}"
    return f"{sign}${text}"


def pricing_table(records: Iterable[Any]) -> dict[str, Pricing]:
    """Build the lookup from serverless pricing records (`model`, `input_token_price`, ... as Money).

    Active records win over inactive ones for the same model, as in `tm cost`; a record without an
    input or output price is skipped rather than priced at zero.
    """
    table: dict[str, Pricing] = {}
    active: set[str] = set()
    for record in records:
        model = getattr(record, "model", None)
        price_in = getattr(record, "input_token_price", None)
        price_out = getattr(record, "output_token_price", None)
        if not model or price_in is None or price_out is None:
            continue
        is_active = getattr(record, "is_active", None) is not False
        if model in active and not is_active:
            continue
        cached = getattr(record, "cached_token_price", None)
        table[model] = Pricing(price_in.amount, price_out.amount, None if cached is None else cached.amount)
        if is_active:
            active.add(model)
    return table
