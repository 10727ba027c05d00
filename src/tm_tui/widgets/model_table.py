"""Serverless models: one `ModelRow` per served model (from `/v1/models`) with its serverless pricing
merged in, and `ModelTable`, a filterable, sortable table of them.

Rows round-trip through plain JSON (`to_record` / `from_record`) for the start-up cache. Nothing here
imports the API layer at module level: this module can be on the start-up path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from tm_tui.text_safety import sanitize

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import ServerlessPricing
    from tm_tui.api.models.inference import ModelCard

NO_PRICE = "—"
PRICE_KEYS = ("input_price", "output_price", "cached_price")


@dataclass(frozen=True)
class ModelRow:
    id: str
    owned_by: str | None = None
    context_length: int | None = None
    display_name: str | None = None
    input_price: Decimal | None = None  # per 1,000,000 tokens
    output_price: Decimal | None = None
    cached_price: Decimal | None = None
    currency: str | None = None
    active: bool | None = None  # the pricing record's isActive; None = no pricing known

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {k: v for k, v in vars(self).items() if v is not None}
        for key in PRICE_KEYS:
            if key in record:
                record[key] = str(record[key])
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ModelRow | None:
        """A cached row; None when the record is not usable (the cache is only a hint)."""
        if not isinstance(record.get("id"), str):
            return None
        values: dict[str, Any] = {"id": record["id"]}
        for key, kind in (("owned_by", str), ("display_name", str), ("currency", str), ("active", bool)):
            if isinstance(record.get(key), kind):
                values[key] = record[key]
        if isinstance(record.get("context_length"), int) and not isinstance(record["context_length"], bool):
            values["context_length"] = record["context_length"]
        for key in PRICE_KEYS:
            try:
                values[key] = Decimal(str(record[key])) if key in record else None
            except InvalidOperation:
                values[key] = None
        return cls(**values)


def merge_models(cards: Iterable[ModelCard], pricing: Sequence[ServerlessPricing] | None) -> list[ModelRow]:
    """Served models with their pricing (matched on `pricing.model`, active records first)."""
    by_model: dict[str, ServerlessPricing] = {}
    for record in sorted(pricing or (), key=lambda p: bool(p.is_active)):  # active ones win
        if record.model:
            by_model[record.model] = record
    rows = []
    for card in cards:
        context = (card.model_extra or {}).get("max_model_len")
        price = by_model.get(card.id)
        money = [getattr(price, f"{k.removesuffix('_price')}_token_price", None) for k in PRICE_KEYS]
        currency = next((m.currency_code for m in money if m is not None and m.currency_code), None)
        rows.append(
            ModelRow(
                id=card.id,
                owned_by=card.owned_by,
                context_length=context
                if isinstance(context, int) and not isinstance(context, bool)
                else None,
                display_name=price.name if price else None,
                input_price=money[0].amount if money[0] else None,
                output_price=money[1].amount if money[1] else None,
                cached_price=money[2].amount if money[2] else None,
                currency=currency if price else None,
                active=price.is_active if price else None,
            )
        )
    return rows


def price_text(amount: Decimal | None, currency: str | None) -> str:
    """`$0.30`, `$0.015`: at least two decimals, more when the price has them."""
    if amount is None:
        return NO_PRICE
    from tm_tui.api.models.money import format_money

    exponent = amount.normalize().as_tuple().exponent
    places = min(6, max(2, -exponent if isinstance(exponent, int) else 2))
    return format_money(amount, currency or "USD", places=places)


def context_text(length: int | None) -> str:
    return f"{length:,}" if length else "?"


# (column label, sort key) in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Model", "id"),
    ("Context", "context_length"),
    ("Input/1M", "input_price"),
    ("Output/1M", "output_price"),
    ("Cached/1M", "cached_price"),
    ("Active", "active"),
)


class ModelTable(DataTable):
    """Rows filtered by a case-insensitive substring and sorted by one column (None values last)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "next_sort", "Sort", id="models.sort", tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", id="models.sort.reverse", tooltip="Reverse the sort order"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_all: list[ModelRow] = []
        self.filter_text = ""
        self.sort_key = "id"
        self.sort_reverse = False

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.add_column(label, key=key)
        self._render_rows()

    def set_rows(self, rows: Sequence[ModelRow]) -> None:
        self.rows_all = list(rows)
        self._render_rows()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._render_rows()

    class Sorted(Message):
        """The sort column or direction changed."""

    def sort_by(self, key: str, *, reverse: bool = False) -> None:
        self.sort_key, self.sort_reverse = key, reverse
        self._render_rows()
        self.post_message(self.Sorted())

    def action_next_sort(self) -> None:
        keys = [key for _, key in COLUMNS]
        self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key, reverse=not self.sort_reverse)

    @property
    def sort_label(self) -> str:
        label = next(label for label, key in COLUMNS if key == self.sort_key)
        return f"{label} {'▼' if self.sort_reverse else '▲'}"

    @property
    def visible_rows(self) -> list[ModelRow]:
        rows = [r for r in self.rows_all if self._matches(r)]
        present = [r for r in rows if getattr(r, self.sort_key) is not None]
        missing = [r for r in rows if getattr(r, self.sort_key) is None]
        present.sort(key=lambda r: getattr(r, self.sort_key), reverse=self.sort_reverse)
        return present + missing

    @property
    def current(self) -> ModelRow | None:
        """The highlighted row."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return next((r for r in self.rows_all if r.id == key), None)

    def _matches(self, row: ModelRow) -> bool:
        if not self.filter_text:
            return True
        haystack = " ".join(filter(None, (row.id, row.display_name, row.owned_by))).lower()
        return self.filter_text in haystack

    def _render_rows(self) -> None:
        if not self.columns:
            return
        keep = self.current.id if self.current else None
        self.clear()
        for row in self.visible_rows:
            style = "dim" if row.active is False else ""
            active = {True: "yes", False: "no", None: NO_PRICE}[row.active]
            cells = [
                sanitize(row.id),
                context_text(row.context_length),
                price_text(row.input_price, row.currency),
                price_text(row.output_price, row.currency),
                price_text(row.cached_price, row.currency),
                active,
            ]
            self.add_row(*(Text(cell, style) for cell in cells), key=row.id)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep))
