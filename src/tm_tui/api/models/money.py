"""Money as the control plane sends it (`google.type.Money`), kept exact with `Decimal`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import field_validator, model_validator

from tm_tui.api.models.base import CamelModel

NANOS_PER_UNIT = 1_000_000_000
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹"}


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


class Money(CamelModel):
    """`{currencyCode?, units?: "<int64 string>", nanos?: int}`; value = units + nanos / 1e9.

    A bare JSON number or numeric string in place of the object is read as the amount.
    """

    currency_code: str | None = None
    units: str = "0"
    nanos: int = 0

    @model_validator(mode="before")
    @classmethod
    def _bare_amount(cls, data: Any) -> Any:
        if isinstance(data, int | float | str | Decimal) and not isinstance(data, bool):
            return cls.split(_decimal(data))
        return data

    @field_validator("units", mode="before")
    @classmethod
    def _units_text(cls, value: Any) -> str:
        if value is None:
            return "0"
        amount = _decimal(value)
        if amount != amount.to_integral_value():
            raise ValueError(f"units must be a whole number, got {value!r}")
        return str(int(amount))

    @field_validator("nanos", mode="before")
    @classmethod
    def _nanos_int(cls, value: Any) -> Any:
        return 0 if value is None else value

    @staticmethod
    def split(amount: Decimal) -> dict[str, Any]:
        """Proto rule: units and nanos share the sign of the amount (-1.5 → units -1, nanos -5e8)."""
        units = int(amount)  # truncates toward zero
        nanos = int((amount - units) * NANOS_PER_UNIT)
        return {"units": str(units), "nanos": nanos}

    @classmethod
    def of(cls, amount: Decimal | int | str, currency_code: str = "USD") -> Money:
        return cls(currency_code=currency_code, **cls.split(_decimal(amount)))

    @property
    def amount(self) -> Decimal:
        return Decimal(self.units) + Decimal(self.nanos) / NANOS_PER_UNIT

    def __str__(self) -> str:
        return format_money(self.amount, self.currency_code)


def format_money(amount: Decimal, currency: str | None = "USD", *, places: int = 2) -> str:
    """`$1,234.57`, `-€0.30`, `12.00 CHF`; rounds half-up to `places` decimals."""
    quantum = Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):,.{places}f}"
    code = (currency or "USD").upper()
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {code}"
