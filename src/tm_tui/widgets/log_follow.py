"""Deployment logs as the `tm logs -f` CLI follows them (reference §4.5): there is no log stream, so
the caller polls — the first look takes the latest lines, each poll after asks for the lines from the
last timestamp on (forward, 200 at most), and identical entries (same timestamp and message) are
dropped, since consecutive windows overlap at their edge.

`LogBuffer` holds the lines (at most `limit`: the oldest fall out, so memory stays bounded) and
answers searches; `LogView` shows them as plain text (server text: never markup), filtered by the
search when there is one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.widgets import Log

from tm_tui.text_safety import sanitize
from tm_tui.widgets.stamps import stamp

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import LogEntry

DEFAULT_LIMIT = 2000  # lines kept
POLL_LIMIT = 200  # lines asked for per poll, as the CLI does
FOLLOW_EVERY_S = 2.0  # the CLI's poll interval


@dataclass(frozen=True)
class LogLine:
    timestamp: str
    message: str

    @property
    def text(self) -> str:
        return sanitize(f"{stamp(self.timestamp, seconds=True)}  {self.message}")


class LogBuffer:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.lines: deque[LogLine] = deque()
        self._seen: set[LogLine] = set()  # exactly the lines held, for de-duplication
        self.dropped = 0  # old lines let go to stay within `limit`
        self.duplicates = 0  # entries ignored as already held
        self._latest: tuple[datetime, str] | None = None  # the newest timestamp held: the poll cursor

    def add(self, entries: Iterable[LogEntry]) -> list[LogLine]:
        """Keep the entries not already held; returns them, oldest first."""
        new = []
        for entry in entries:
            line = LogLine(entry.timestamp or "", entry.message or "")
            if line in self._seen:
                self.duplicates += 1
                continue
            if len(self.lines) >= self.limit:
                self._seen.discard(self.lines.popleft())
                self.dropped += 1
            self.lines.append(line)
            self._seen.add(line)
            new.append(line)
            self._note_time(line.timestamp)
        return new

    def _note_time(self, timestamp: str) -> None:
        try:
            moment = datetime.fromisoformat(timestamp)
        except ValueError:
            return  # not RFC 3339: shown, but no place to poll from
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if self._latest is None or moment > self._latest[0]:
            self._latest = (moment, timestamp)

    @property
    def last_timestamp(self) -> str | None:
        """Where the next poll starts (inclusive: the overlap is de-duplicated): the newest time
        held, whatever order the answers came in (an older page landing last must not move the
        cursor back, or every poll would fetch the same old lines again)."""
        return self._latest[1] if self._latest else None

    def clear(self) -> None:
        self.lines.clear()
        self._seen.clear()
        self.dropped = self.duplicates = 0
        self._latest = None


def matches(line: LogLine, query: str) -> bool:
    return not query or query.casefold() in line.text.casefold()


class LogView(Log):
    """The buffer's lines (those matching `query`), newest at the bottom."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=DEFAULT_LIMIT, highlight=False, auto_scroll=True)
        self.query_text = ""

    def show_all(self, lines: Iterable[LogLine], query: str = "") -> int:
        """Replace what is shown; returns how many lines match."""
        self.query_text = query
        self.clear()
        shown = [line.text for line in lines if matches(line, query)]
        self.write_lines(shown)
        return len(shown)

    def append(self, lines: Iterable[LogLine]) -> None:
        self.write_lines([line.text for line in lines if matches(line, self.query_text)])
