"""Transactions as rows: the values a table shows, client-side filters (type, status, date range)
and sorting (date, amount) over the pages loaded so far, and the per-model breakdown of a charge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tm_tui.billing.times import parse_time

SORTS = ("date", "amount")


def short_enum(value: str | None, prefix: str) -> str:
    """`TRANSACTION_TYPE_TOPUP` → `topup`; unknown values pass through lower-cased."""
    return (value or "?").removeprefix(prefix).lower()


@dataclass(frozen=True, slots=True)
class TxnRow:
    id: str
    created: datetime | None
    amount: Decimal
    currency: str
    type: str  # short: charge, topup, refund, credit
    status: str  # short: succeeded, pending, failed, refunded
    description: str
    details: Mapping[str, Any] | None

    @classmethod
    def of(cls, txn: Any) -> TxnRow:
        """From an API `BillingTransaction`."""
        money = txn.amount
        return cls(
            id=txn.transaction_id or "?",
            created=parse_time(txn.created_at),
            amount=money.amount if money is not None else Decimal(0),
            currency=(money.currency_code if money is not None else None) or "USD",
            type=short_enum(txn.type, "TRANSACTION_TYPE_"),
            status=short_enum(txn.status, "TRANSACTION_STATUS_"),
            description=txn.description or "",
            details=txn.details,
        )

    @property
    def signed(self) -> Decimal:
        """Charges take money from the balance."""
        return -self.amount if self.type == "charge" else self.amount

    def record(self) -> dict[str, str]:
        """One export row (exact amounts, UTC timestamps)."""
        return {
            "id": self.id,
            "created_at": self.created.isoformat() if self.created else "",
            "type": self.type,
            "status": self.status,
            "amount": str(self.amount),
            "currency": self.currency,
            "description": self.description,
        }


@dataclass(frozen=True)
class TxnFilter:
    type: str = ""  # "" = any
    status: str = ""
    start: date | None = None
    end: date | None = None  # inclusive

    def matches(self, row: TxnRow) -> bool:
        if self.type and row.type != self.type:
            return False
        if self.status and row.status != self.status:
            return False
        if self.start or self.end:
            if row.created is None:
                return False
            day = row.created.astimezone().date()
            if (self.start and day < self.start) or (self.end and day > self.end):
                return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.type or self.status or self.start or self.end)


def view(rows: Iterable[TxnRow], where: TxnFilter, sort: str, descending: bool = True) -> list[TxnRow]:
    """The rows to show: filtered, then sorted (ties keep the server's order)."""
    chosen = [row for row in rows if where.matches(row)]
    if sort == "amount":
        chosen.sort(key=lambda r: r.signed, reverse=descending)
    else:
        chosen.sort(key=lambda r: r.created.timestamp() if r.created else float("-inf"), reverse=descending)
    return chosen


@dataclass(frozen=True)
class ModelCharge:
    model: str
    name: str
    events: int
    input_tokens: int
    output_tokens: int
    amount: Decimal | None


def model_charges(details: Mapping[str, Any] | None) -> list[ModelCharge]:
    """`details.models.<id> = {name, event_count, input_tokens, output_tokens, total_amount}`;
    malformed entries are skipped, an unreadable amount is None."""
    models = details.get("models") if isinstance(details, Mapping) else None
    if not isinstance(models, Mapping):
        return []
    charges = []
    for model_id, entry in models.items():
        if not isinstance(entry, Mapping):
            continue
        try:
            amount: Decimal | None = Decimal(str(entry.get("total_amount")))
        except InvalidOperation:
            amount = None
        charges.append(
            ModelCharge(
                model=str(model_id),
                name=str(entry.get("name") or model_id),
                events=_count(entry.get("event_count")),
                input_tokens=_count(entry.get("input_tokens")),
                output_tokens=_count(entry.get("output_tokens")),
                amount=amount,
            )
        )
    return charges


def _count(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
