"""The SSE decoder as first written: one line at a time, a list per line, a regex split per read.

Kept as the reference the faster `tm_tui.api.sse` decoders are checked against (same events for
the same bytes, however split); it is deliberately plain and slow.
"""

from __future__ import annotations

import codecs
import re

from tm_tui.api.sse import ServerSentEvent

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ReferenceSSEDecoder:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial_line = ""
        self._skip_lf = False
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        return self._feed_text(self._decoder.decode(data))

    def flush(self) -> list[ServerSentEvent]:
        events = self._feed_text(self._decoder.decode(b"", final=True))
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
        buffer = self._partial_line + text
        lines = _LINE_BREAK.split(buffer)
        self._partial_line = lines.pop()
        self._skip_lf = buffer.endswith("\r")
        events: list[ServerSentEvent] = []
        for line in lines:
            events.extend(self._line(line))
        return events

    def _line(self, line: str) -> list[ServerSentEvent]:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return []
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        events: list[ServerSentEvent] = []
        if field == "data":
            stripped = value.lstrip()
            if self._data and (stripped.startswith("{") or stripped == "[DONE]"):
                events = self._dispatch()
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
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
