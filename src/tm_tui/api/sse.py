"""Incremental server-sent-events decoder (WHATWG framing plus the SDK's tolerances, reference §5.2).

Bytes may be split anywhere, including inside a UTF-8 character or a CRLF pair; the decoder
keeps what it cannot decide yet and emits events as soon as they are complete.

It runs once per network read, not per event: a read's lines are split in one C call and the
common `data:` line takes a short branch, so a stream of thousands of small events costs little
more than its JSON parsing (bench/bench_client.py).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Longest line (one event's data) kept: a server streaming an endless line cannot fill the memory.
MAX_LINE_CHARS = 16 * 1024 * 1024


class EventTooLarge(ValueError):
    """A stream line longer than MAX_LINE_CHARS."""


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


def _starts_new_event(value: str) -> bool:
    # The SDK tolerates servers that omit the blank line between JSON events.
    stripped = value.lstrip()
    return stripped.startswith("{") or stripped == "[DONE]"


class _SSEFraming[E]:
    """Bytes in, complete events out; a subclass's `_emit` makes each event."""

    def __init__(self) -> None:
        # utf-8-sig drops a leading byte-order mark; bad bytes become U+FFFD instead of raising.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial_line = ""
        # Pieces of a long line still without its line break, joined once it ends (never re-scanned,
        # so a line split over many chunks costs linear, not quadratic, time).
        self._pending: list[str] = []
        self._pending_chars = 0
        self._skip_lf = False  # the last chunk ended in "\r": a following "\n" belongs to it
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None  # persists across events, as in the WHATWG spec

    def feed(self, data: bytes) -> list[E]:
        return self._feed_text(self._decoder.decode(data))

    def flush(self) -> list[E]:
        """End of stream: decode what is left, take an unterminated last line, emit a pending event."""
        events = self._feed_text(self._decoder.decode(b"", final=True))
        self._join_pending()
        if self._partial_line:
            self._lines([self._partial_line], events)
            self._partial_line = ""
        self._dispatch(events)
        return events

    def _emit(self, data: str) -> E:
        raise NotImplementedError

    def _feed_text(self, text: str) -> list[E]:
        events: list[E] = []
        if not text:
            return events
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if not _LINE_BREAK.search(text) and not text.endswith("\r"):
            self._pending.append(text)
            self._pending_chars += len(text)
            if self._pending_chars + len(self._partial_line) > MAX_LINE_CHARS:
                raise EventTooLarge(
                    f"a stream line longer than {MAX_LINE_CHARS // (1024 * 1024)} M characters"
                )
            return []
        self._join_pending()
        buffer = self._partial_line + text
        if "\r" in buffer:
            lines = _LINE_BREAK.split(buffer)
            self._skip_lf = buffer[-1] == "\r"
        else:
            lines = buffer.split("\n")  # the usual case: one C call, no regex
        self._partial_line = lines.pop()
        self._lines(lines, events)
        return events

    def _join_pending(self) -> None:
        if self._pending:
            self._partial_line += "".join(self._pending)
            self._pending, self._pending_chars = [], 0

    def _lines(self, lines: list[str], events: list[E]) -> None:
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                value = line[6:] if line.startswith(" ", 5) else line[5:]
                if data and _starts_new_event(value):
                    self._dispatch(events)
                data.append(value)
            elif not line:
                if data:  # = self._dispatch(events), inline: it runs once per event
                    events.append(self._emit("\n".join(data)))
                    data.clear()
                self._event = self._retry = None
            elif line[0] != ":":
                self._field(line)

    def _field(self, line: str) -> None:
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        match field:
            case "data":  # a bare "data" line: a data field with an empty value
                self._data.append(value)
            case "event":
                self._event = value
            case "id":
                if "\0" not in value:
                    self._last_id = value
            case "retry":
                if value.isascii() and value.isdigit():
                    self._retry = int(value)

    def _dispatch(self, events: list[E]) -> None:
        if self._data:
            events.append(self._emit("\n".join(self._data)))
            self._data.clear()
        self._event = self._retry = None


class SSEDecoder(_SSEFraming[ServerSentEvent]):
    def _emit(self, data: str) -> ServerSentEvent:
        return ServerSentEvent(data, self._event or None, self._last_id, self._retry)


class SSEDataDecoder(_SSEFraming[str]):
    """Only each event's `data`: what the inference streams read, without an object per event."""

    def _emit(self, data: str) -> str:
        return data


async def aiter_sse(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    """Events of a streamed response body (content-encoding already undone by httpx)."""
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event


async def aiter_sse_data(response: httpx.Response) -> AsyncIterator[list[str]]:
    """The `data` of the events, a list per network read (never empty), for readers that go in batches."""
    decoder = SSEDataDecoder()
    async for chunk in response.aiter_bytes():
        if batch := decoder.feed(chunk):
            yield batch
    if batch := decoder.flush():
        yield batch
