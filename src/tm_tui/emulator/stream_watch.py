"""What the server sees of its event streams: opened, finished, cut by the client, aborted by the server.

`StreamWatch` is an ASGI middleware around each inference host; it counts into the emulator's one
`StreamStats` (`EmulatorState.streams`), so tests and benchmarks can check on the server side that a
stopped answer really closed its HTTP request (`disconnected` grows, `open` drops back to 0).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


@dataclass(frozen=True)
class StreamCounts:
    opened: int = 0
    finished: int = 0  # the last byte sent
    disconnected: int = 0  # the client closed the connection first
    aborted: int = 0  # the server gave up (an error, a `reset` fault, shutdown)

    @property
    def open(self) -> int:
        return self.opened - self.finished - self.disconnected - self.aborted


class StreamStats:
    """Thread-safe counters (the three listeners may run on other threads than the reader)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {"opened": 0, "finished": 0, "disconnected": 0, "aborted": 0}

    def count(self, what: str) -> None:
        with self._lock:
            self._counts[what] += 1

    def snapshot(self) -> StreamCounts:
        with self._lock:
            return StreamCounts(**self._counts)


def _is_event_stream(message: Message) -> bool:
    headers = dict(message.get("headers") or [])
    return headers.get(b"content-type", b"").startswith(b"text/event-stream")


class StreamWatch:
    """Counts each `text/event-stream` response into `stats`, by how it ended."""

    def __init__(self, app: ASGIApp, stats: StreamStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"open": False}

        def end(how: str) -> None:
            if state["open"]:
                state["open"] = False
                self.stats.count(how)

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_event_stream(message):
                state["open"] = True
                self.stats.count("opened")
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                end("finished")

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                end("disconnected")
            return message

        try:
            await self.app(scope, watched_receive, watched_send)
        finally:
            end("aborted")
