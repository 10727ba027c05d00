"""Cost maths: exact decimals, cached tokens at the cached price, unknown when data is missing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tm_tui.api.models.base import Usage
from tm_tui.api.models.control_plane import ServerlessPricing
from tm_tui.api.models.money import Money
from tm_tui.chat.cost import Pricing, conversation_cost, format_usd, pricing_table, turn_cost

PRICING = {
    "minimax": Pricing(D("0.30"), D("1.20"), D("0.03")),
    "qwen": Pricing(D("0.10"), D("0.40"), None),
}


def usage(prompt: int, completion: int | None, cached: int | None = None, total: int | None = None) -> Usage:
    details = None if cached is None else {"cached_tokens": cached}
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion,
        total_tokens=total if total is not None else prompt + (completion or 0), prompt_tokens_details=details,
    )  # fmt: skip


def test_cached_tokens_are_charged_at_the_cached_price() -> None:
    cost = turn_cost("minimax", usage(1_000, 500, cached=400), PRICING)
    assert cost is not None
    assert cost.input == D("600") * D("0.30") / 1_000_000 == D("0.00018")
    assert cost.cached == D("0.000012")
    assert cost.output == D("0.0006")
    assert cost.total == D("0.000792")  # exact, no float rounding


def test_without_a_cached_price_cached_tokens_cost_the_input_price() -> None:
    cost = turn_cost("qwen", usage(1_000, 10, cached=1_000), PRICING)
    assert cost is not None and (cost.input, cost.cached, cost.output) == (D(0), D("0.0001"), D("0.000004"))


def test_a_million_tokens_cost_the_list_price() -> None:
    assert turn_cost("minimax", usage(1_000_000, 1_000_000), PRICING).total == D("1.50")


@pytest.mark.parametrize(
    ("model", "the_usage"),
    [("minimax", None), ("unpriced/model", usage(10, 10)), (None, usage(10, 10)), ("", usage(10, 10))],
)
def test_unknown_when_usage_or_pricing_is_missing(model, the_usage) -> None:
    assert turn_cost(model, the_usage, PRICING) is None


def test_completion_count_comes_from_the_total_when_only_that_was_sent() -> None:
    assert turn_cost("qwen", usage(100, None, total=150), PRICING).output == D("0.00002")
    assert turn_cost("qwen", usage(100, None, total=90), PRICING) is None  # inconsistent: not guessed


def test_cached_count_above_prompt_is_capped() -> None:
    cost = turn_cost("minimax", usage(100, 0, cached=500), PRICING)
    assert (cost.input, cost.cached) == (D(0), D("0.000003"))


def test_conversation_totals_count_unknown_answers_separately() -> None:
    total = conversation_cost([D("0.001"), None, D("0.0025"), None])
    assert (total.total, total.priced_turns, total.unpriced_turns, total.complete) == (
        D("0.0035"),
        2,
        2,
        False,
    )
    assert conversation_cost([]).complete and conversation_cost([]).total == 0


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("0.000123"), "$0.000123"),
        (D("0.00012345"), "$0.000123"),
        (D("0.0001235"), "$0.000124"),
        (D("0.000792"), "$0.000792"),
        (D("0.5"), "$0.50"),
        (D("0.0100"), "$0.01"),
        (D("0.0123456"), "$0.0123"),
        (D("0.9999"), "$1.00"),
        (D("1.005"), "$1.01"),
        (D("1234.5"), "$1,234.50"),
        (D("0"), "$0.00"),
        (D("-0.0042"), "-$0.0042"),
        (D("0.0000000012"), "$0.0000000012"),
        (None, "n/a"),
    ],
)
def test_format_usd(amount, text) -> None:
    assert format_usd(amount) == text


def record(model, inp, out, cached=None, active=True) -> ServerlessPricing:
    def money(amount):
        return None if amount is None else Money.of(amount)

    return ServerlessPricing(
        model=model, input_token_price=money(inp), output_token_price=money(out),
        cached_token_price=money(cached), is_active=active,
    )  # fmt: skip


def test_pricing_table_from_records_prefers_active_rows() -> None:
    table = pricing_table(
        [
            record("a", "0.30", "1.20", "0.03"),
            record("a", "9", "9", None, active=False),  # an old row must not override
            record("b", "5", "5", None, active=False),
            record("b", "0.10", "0.40"),
            record("retired", "0.05", "0.10", active=False),
            record("half", "0.05", None),  # no output price: not priced at zero
        ]
    )
    assert table == {
        "a": Pricing(D("0.3"), D("1.2"), D("0.03")),
        "b": Pricing(D("0.1"), D("0.4"), None),
        "retired": Pricing(D("0.05"), D("0.1"), None),
    }
