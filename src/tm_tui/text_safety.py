"""Untrusted text made safe to show: server strings (model names, ticket text, log lines, error
messages) and URLs from settings. Standard library only, for every layer.

Widgets also render such text as plain `Text` or with `markup=False`; this neutralises the control
characters (escape sequences included) that plain text would still pass to the terminal.

`display_url` is called through the module (`text_safety.display_url`), so snapshot tests can swap
it for one that pins the emulator's random ports to fixed placeholders.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(text: str) -> str:
    """Replace control characters (escape sequences included) with U+FFFD; keep tabs and newlines."""
    return _CONTROL.sub("\ufffd", text)


def display_url(url: str) -> str:
    """A URL from the settings (or a server) as plain, control-free text."""
    return sanitize(url)
