"""Money: exact decimals from proto `Money`, bare numbers, proto sign rules, display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.api.helpers import example
from tm_tui.api.models.money import Money, format_money


@pytest.mark.parametrize(
    ("wire", "amount"),
    [
        (example("control_plane/billing_balance.response.json")["balance"], Decimal("12.5")),
        ({"currencyCode": "USD", "units": "-1", "nanos": -500000000}, Decimal("-1.5")),
        ({"units": "0", "nanos": -250000000}, Decimal("-0.25")),
        ({"units": "3", "nanos": 418000000}, Decimal("3.418")),
        ({"units": "9223372036854775807", "nanos": 999999999}, Decimal("9223372036854775807.999999999")),
        ({"units": 25}, Decimal(25)),
        ({"nanos": "30000000"}, Decimal("0.03")),
        ({"units": None, "nanos": None}, Decimal(0)),
        ({}, Decimal(0)),
        (12.5, Decimal("12.5")),
        (7, Decimal(7)),
        ("3.418", Decimal("3.418")),
        ("-0.000000001", Decimal("-0.000000001")),
    ],
)
def test_amount_is_exact(wire, amount):
    money = Money.model_validate(wire)
    assert money.amount == amount
    assert isinstance(money.amount, Decimal)


def test_sums_stay_exact():
    dime = Money.model_validate({"units": "0", "nanos": 100000000})
    fifth = Money.model_validate({"units": "0", "nanos": 200000000})
    assert dime.amount + fifth.amount == Decimal("0.3")


@pytest.mark.parametrize("bad", [True, "abc", "NaN", "Infinity", {"units": "1.5"}, {"units": "x"}, [1]])
def test_garbage_is_rejected(bad):
    with pytest.raises(ValidationError):
        Money.model_validate(bad)


def test_of_follows_the_proto_sign_rule():
    money = Money.of(Decimal("-1.5"), "EUR")
    assert (money.units, money.nanos, money.currency_code) == ("-1", -500000000, "EUR")
    assert money.model_dump(by_alias=True) == {"currencyCode": "EUR", "units": "-1", "nanos": -500000000}


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=9, allow_nan=False, allow_infinity=False))
def test_of_round_trips_any_nine_place_decimal(value):
    money = Money.of(value)
    assert money.amount == value
    assert abs(money.nanos) < 1_000_000_000
    assert money.nanos == 0 or (money.nanos < 0) == (value < 0)


@pytest.mark.parametrize(
    ("amount", "currency", "kwargs", "text"),
    [
        (Decimal("1.234"), "USD", {}, "$1.23"),
        (Decimal("1234.5"), "usd", {}, "$1,234.50"),
        (Decimal("-1.5"), "USD", {}, "-$1.50"),
        (Decimal("0.005"), "USD", {}, "$0.01"),
        (Decimal("0.3"), "EUR", {}, "€0.30"),
        (Decimal("12"), "CHF", {}, "12.00 CHF"),
        (Decimal("0.00003"), None, {"places": 5}, "$0.00003"),
        (Decimal("-0.001"), "USD", {}, "$0.00"),
    ],
)
def test_format_money(amount, currency, kwargs, text):
    assert format_money(amount, currency, **kwargs) == text


def test_str_formats_the_amount():
    assert str(Money.model_validate({"currencyCode": "USD", "units": "12", "nanos": 500000000})) == "$12.50"
