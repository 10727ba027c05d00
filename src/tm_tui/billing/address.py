"""Billing address checks done before the server is asked, so a typo is caught where it is typed.
The server may still refuse; the form then shows its message and keeps what was typed."""

from __future__ import annotations

import re

# (field, label, required), in the order a form shows them.
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("name", "Name", True),
    ("company", "Company", False),
    ("line1", "Address", True),
    ("line2", "Address 2", False),
    ("city", "City", True),
    ("state", "State / region", False),
    ("postal_code", "Postal code", True),
    ("country", "Country (ISO 2)", True),
    ("phone", "Phone", False),
)
MAX_LENGTH = 200
_COUNTRY = re.compile(r"[A-Z]{2}")
_POSTAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,14}")
_PHONE = re.compile(r"\+?[0-9 ()./\-]{4,24}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def normalize(values: dict[str, str]) -> dict[str, str]:
    """Trimmed values; the country code upper-cased."""
    clean = {key: value.strip() for key, value in values.items()}
    if "country" in clean:
        clean["country"] = clean["country"].upper()
    return clean


def problems(values: dict[str, str]) -> dict[str, str]:
    """{field: what is wrong} for normalized `values`; empty when the address can be sent."""
    found: dict[str, str] = {}
    for key, label, required in FIELDS:
        value = values.get(key, "")
        if required and not value:
            found[key] = f"{label} is required."
        elif len(value) > MAX_LENGTH:
            found[key] = f"{label} is longer than {MAX_LENGTH} characters."
        elif _CONTROL.search(value):
            found[key] = f"{label} contains control characters."
    checks = (
        ("country", _COUNTRY, "Country must be a two-letter ISO code such as FR or US."),
        ("postal_code", _POSTAL, "Postal code: letters, digits, spaces and dashes, up to 15."),
        ("phone", _PHONE, "Phone: digits, spaces and + ( ) - . / only."),
    )
    for key, pattern, message in checks:
        value = values.get(key, "")
        if key not in found and value and not pattern.fullmatch(value):
            found[key] = message
    return found
