"""Secret values and the one place they are masked for display.

`Secret` wraps a credential so it never shows up in `repr`/`str`/f-strings of settings objects;
code that really needs the value (building an Authorization header, writing a 0600 file) calls
`reveal()`. `mask()` follows the `tm` CLI: first-4…last-4, `***` when 8 characters or fewer.
`scrub()` is the last line of defence for text that leaves the process (error messages, the error
log): every credential the session has used (`remember_in_use`) becomes its masked form.
"""

from __future__ import annotations

NOT_SET = "not set"
_MIN_SCRUBBED = 8  # shorter values would mangle ordinary words; they are masked as *** anyway
_in_use: set[str] = set()  # grows only: a credential replaced by a refresh is still one


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


def remember_in_use(*secrets: Secret | str | None) -> None:
    """Credentials this process sends, so `scrub` can take them out of any text."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= _MIN_SCRUBBED:
            _in_use.add(value)


def scrub(text: str) -> str:
    """`text` with every credential in use replaced by its masked form."""
    for value in sorted(_in_use, key=len, reverse=True):  # longest first: one may contain another
        if value in text:
            text = text.replace(value, mask(value))
    return text
