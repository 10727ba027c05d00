"""Untrusted text made safe to show: server strings (model names, ticket text, log lines, error
messages) and URLs from settings. Standard library plus `rich.text` (no Textual), for every layer.

`sanitize` is the one place that neutralises what plain text would still pass to the terminal:
C0/C1 controls (so ANSI, OSC 52 clipboard writes, OSC 8 hyperlinks and title changes lose their ESC/BEL
bytes) become U+FFFD; bidi overrides/isolates and invisible zero-width characters, which would
reorder or hide what the user reads, become visible `<U+202E>` escapes.

`inert` wraps the result in a `rich.text.Text`: widgets whose `str` prompts are parsed as console
markup (Select, OptionList, DataTable cells, Tabs, border titles, notify) show a `Text` verbatim, so
`[b]`, `[link=...]` and `[@click=...]` in a model id stay characters, never style or actions.

`display_url` is called through the module (`text_safety.display_url`), so snapshot tests can swap
it for one that pins the emulator's random ports to fixed placeholders.
"""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates and marks, line/paragraph separators, invisible zero-width
# characters. ZWJ/ZWNJ (U+200C/D) stay: emoji sequences and several scripts need them.
_INVISIBLE = re.compile(
    r"[\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Longest single-line label (a select option, a title): beyond it the text is cut with an ellipsis,
# so one huge server string cannot swamp a toolbar.
LABEL_MAX = 200


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def hidden(char: str) -> bool:
    """A bidi control or invisible character (`sanitize` shows it as `<U+XXXX>`)."""
    return _INVISIBLE.fullmatch(char) is not None


def sanitize(text: str) -> str:
    """Controls (escape sequences included) → U+FFFD, bidi/zero-width → `<U+XXXX>`; keeps tabs and newlines."""
    return _INVISIBLE.sub(_visible, _CONTROL.sub("\ufffd", text))


def inert(text: str, style: str = "", *, max_len: int | None = LABEL_MAX) -> Text:
    """Server text as a `Text` no widget parses as markup; cut to `max_len` characters (None: whole)."""
    clean = sanitize(text)
    if max_len is not None and len(clean) > max_len:
        clean = clean[: max_len - 1] + "…"
    return Text(clean, style)


def display_url(url: str) -> str:
    """A URL from the settings (or a server) as plain, control-free text."""
    return sanitize(url)
