"""Incremental server-sent-events decoder (WHATWG framing plus the SDK's tolerances, reference §5.2).

Bytes may be split anywhere, including inside a UTF-8 character or a CRLF pair; the decoder
keeps what it cannot decide yet and emits events as soon as they are complete.
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


class SSEDecoder:
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

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        return self._feed_text(self._decoder.decode(data))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: decode what is left, take an unterminated last line, emit a pending event."""
        events = self._feed_text(self._decoder.decode(b"", final=True))
        self._join_pending()
        if self._partial_line:
            events.extend(self._line(self._partial_line))
            self._partial_line = ""
        events.extend(self._dispatch())
        return events

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
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
        lines = _LINE_BREAK.split(buffer)
        self._partial_line = lines.pop()
        self._skip_lf = buffer.endswith("\r")
        events: list[ServerSentEvent] = []
        for line in lines:
            events.extend(self._line(line))
        return events

    def _join_pending(self) -> None:
        if self._pending:
            self._partial_line += "".join(self._pending)
            self._pending, self._pending_chars = [], 0

    def _line(self, line: str) -> list[ServerSentEvent]:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return []
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        events: list[ServerSentEvent] = []
        match field:
            case "data":
                if self._data and _starts_new_event(value):
                    events = self._dispatch()
                self._data.append(value)
            case "event":
                self._event = value
            case "id":
                if "\0" not in value:
                    self._last_id = value
            case "retry":
                if value.isascii() and value.isdigit():
                    self._retry = int(value)
        return events

    def _dispatch(self) -> list[ServerSentEvent]:
        if not self._data:
            self._event = self._retry = None
            return []
        event = ServerSentEvent(
            data="\n".join(self._data), event=self._event or None, id=self._last_id, retry=self._retry
        )
        self._data = []
        self._event = self._retry = None
        return [event]


async def aiter_sse(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    """Events of a streamed response body (content-encoding already undone by httpx)."""
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
