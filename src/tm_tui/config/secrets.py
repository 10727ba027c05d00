"""Secret values and the one place they are masked for display.

`Secret` wraps a credential so it never shows up in `repr`/`str`/f-strings of settings objects;
code that really needs the value (building an Authorization header, writing a 0600 file) calls
`reveal()`. `mask()` follows the `tm` CLI: first-4…last-4, `***` when 8 characters or fewer.
"""

from __future__ import annotations

NOT_SET = "not set"


def mask(secret: str | Secret | None) -> str:
    """Display form of a secret: `tmk_…1e2f`, `***` if short, `not set` if None, `""` if empty."""
    if secret is None:
        return NOT_SET
    value = secret.reveal() if isinstance(secret, Secret) else secret
    if not value:
        return ""
    if len(value) <= 8:
        return "***"
    return f"{value[:4]}…{value[-4:]}"


class Secret:
    """An immutable string that only `reveal()` gives back."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # pickling would copy the raw value somewhere unexpected
        raise TypeError("Secret values are not picklable")
