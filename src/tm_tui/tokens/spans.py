"""Where each token sits in the text it decodes to. No Textual here.

A byte-level BPE token may hold only part of a UTF-8 character (an emoji or a CJK character split over
two or three tokens). Such a token is not dropped or shown as `�`: its span covers the whole character,
shared with the neighbours that hold the rest, and it is marked `whole=False`. Bytes that never form a
character (a cut-off sequence, invalid UTF-8) become one placeholder character per byte, kept in `raw`
so views can show them as `<0xNN>` (never as the surrogates that hold them).
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

# Bytes that are not UTF-8 decode as lone surrogates U+DC80..U+DCFF (Python's `surrogateescape`):
# valid text never holds those, so they cannot be mistaken for the text's own characters.
RAW_BASE = 0xDC00
_RAW_ERRORS = "surrogateescape"
_RAW_CHAR = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Span:
    index: int
    id: int
    data: bytes | None  # None: the server gave no text for this token
    start: int  # character offsets in `Layout.text`; a split character is inside every token sharing it
    end: int
    whole: bool  # False: the token holds only part of a character

    def hex(self) -> str:
        return " ".join(f"{b:02X}" for b in self.data) if self.data is not None else ""


@dataclass
class Layout:
    text: str
    spans: list[Span]
    raw: dict[int, int] = field(default_factory=dict)  # character offset → byte value
    _ends: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._ends = [s.end for s in self.spans]

    def first_ending_after(self, offset: int) -> int:
        """Index of the first token whose span ends after character `offset` (len(spans) if none)."""
        return bisect_right(self._ends, offset)

    def group(self, index: int) -> range:
        """The tokens sharing characters with token `index` (itself included): one split character's
        tokens, or just `index`."""
        first = last = index
        while first > 0 and self.spans[first - 1].end > self.spans[first].start:
            first -= 1
        while last + 1 < len(self.spans) and self.spans[last + 1].start < self.spans[last].end:
            last += 1
        return range(first, last + 1)

    def display(self, start: int, end: int) -> str:
        """The text of a character range, raw bytes spelt `<0xNN>`."""
        return "".join(
            f"<0x{self.raw[i]:02X}>" if i in self.raw else ch
            for i, ch in enumerate(self.text[start:end], start)
        )


def layout(ids: Sequence[int], pieces: Sequence[bytes] | None) -> Layout:
    """Decode `pieces` (each token's bytes) into the text and each token's character span.

    Without pieces (a server that gave no token texts) each token shows as its id in brackets.
    """
    if pieces is None:
        pieces = [f"[{i}]".encode() for i in ids]
        unknown = True
    else:
        unknown = False
    decoder = codecs.getincrementaldecoder("utf-8")(_RAW_ERRORS)
    parts: list[str] = []
    bounds: list[list[int]] = []  # [start, end, whole] per token; `end` fixed later for pending ones
    pending: list[int] = []  # tokens whose last bytes wait for the rest of a character
    pos = 0
    for index, data in enumerate(pieces):
        if not pending and data.isascii():  # the common case, without the incremental decoder
            parts.append(data.decode("ascii"))
            bounds.append([pos, pos + len(data), True])
            pos += len(data)
            continue
        text = decoder.decode(data)
        start = pos
        pos += len(text)
        parts.append(text)
        if not data:  # e.g. an empty BOS piece: an empty span, nothing changes
            bounds.append([start, start, True])
            continue
        waiting = bool(decoder.getstate()[0])
        if text:
            for p in pending:
                bounds[p][1] = start + 1  # the character they began ends inside this token
        bounds.append([start, pos, not (pending and text) and not waiting])
        if text:
            pending = [index] if waiting else []
        else:
            pending.append(index)
    tail = decoder.decode(b"", final=True)  # bytes of a character that never completed
    if tail:
        parts.append(tail)
        for p in pending:
            bounds[p][1] = pos + len(tail)
        pos += len(tail)
    text = "".join(parts)
    raw = {m.start(): ord(m.group()) - RAW_BASE for m in _RAW_CHAR.finditer(text)}
    spans = [
        Span(i, token, None if unknown else pieces[i], b[0], b[1], bool(b[2]))
        for i, (token, b) in enumerate(zip(ids, bounds, strict=True))
    ]
    return Layout(text, spans, raw)
