"""Server-sent events: framing, pacing, and the stream-level faults of faults.py.

An endpoint describes its stream as `SSEEvent`s (payload, optional `event:` name, how many generated
tokens it carries); `write_sse` frames them and consults the request's matched faults, so one writer
gives chat, completions and Responses streams the same failure modes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from tm_tui.emulator.faults import FaultContext, InjectedReset, break_json, encode_json
from tm_tui.emulator.state import Pacing

# Roughly how much time one chunk covers at high token rates (a chunk per token at 500 tok/s would
# spend more time in framing than in text).
CHUNK_INTERVAL_S = 0.02
STALL_S = 600.0  # the `stall` fault: longer than any client waits for the next event
STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
MIDSTREAM_ERROR = {
    "error": {"message": "upstream model worker disconnected", "type": "server_error", "code": 502}
}


@dataclass
class SSEEvent:
    data: Any = None  # a JSON object, or the literal "[DONE]"
    event: str | None = None  # an `event:` line (Responses API)
    comment: str | None = None  # a `: comment` line instead of data
    tokens: int = 0  # generated tokens this event delivers
    closing: bool = False  # finish/usage/completion/[DONE]: what a cut-off stream never sends


DONE = SSEEvent(data="[DONE]", closing=True)


def frame(event: SSEEvent, payload: bytes | None = None) -> bytes:
    if event.comment is not None:
        return f": {event.comment}\n\n".encode()
    if payload is None:
        payload = event.data.encode() if isinstance(event.data, str) else encode_json(event.data)
    head = f"event: {event.event}\n".encode() if event.event else b""
    return head + b"data: " + payload + b"\n\n"


async def write_sse(events: AsyncIterable[SSEEvent], ctx: FaultContext) -> AsyncIterator[bytes]:
    """Frame `events`, applying the stream faults once `after` K generated tokens have been sent.

    Cutting faults (reset, error, truncate) fire before the first event past K tokens, or before the
    closing events if the reply is shorter; poisoning faults (malformed, oversize, bad_utf8, markup)
    each spoil one token-bearing event.
    """
    sent = 0
    poisons = {e: ctx.first(e) for e in ("malformed", "oversize", "bad_utf8", "markup")}
    async for event in events:
        if event.tokens or event.closing:
            due = [
                e for e in ("reset", "error", "truncate", "stall") if _due(ctx.first(e), sent, event.closing)
            ]
            if "reset" in due:
                raise InjectedReset("fault injection: connection reset mid-stream")
            if "error" in due:
                yield frame(SSEEvent(data=MIDSTREAM_ERROR))
                return
            if "truncate" in due:
                return
            if "stall" in due:  # silent, connection open, until the client gives up and disconnects
                await asyncio.sleep(STALL_S)
                return
        ready = {e for e, k in poisons.items() if k is not None and event.tokens and sent >= _after(e, k)}
        if ready and isinstance(event.data, dict):
            for effect in ready:
                poisons[effect] = None
            payload = encode_json(
                event.data,
                bad_utf8="bad_utf8" in ready,
                markup="markup" in ready,
                padding=ctx.first("oversize") if "oversize" in ready else None,
            )
            yield frame(event, break_json(payload) if "malformed" in ready else payload)
        else:
            yield frame(event)
        sent += event.tokens


def _after(effect: str, value: int) -> int:
    # `oversize`'s value is a size, not a position: it spoils the first token event.
    return 0 if effect == "oversize" else value


def _due(after: int | None, sent: int, closing: bool) -> bool:
    return after is not None and (sent >= after or closing)


def batches(pieces: Sequence[tuple[str, int]], per_chunk: int) -> list[tuple[str, int]]:
    """Join consecutive (text, tokens) pieces into chunks of about `per_chunk` tokens."""
    out: list[tuple[str, int]] = []
    text, n = "", 0
    for piece, count in pieces:
        text, n = text + piece, n + count
        if n >= per_chunk:
            out.append((text, n))
            text, n = "", 0
    if n:
        out.append((text, n))
    return out


class Pacer:
    """Sleeps like a model: time to first token (shorter with a cached prefix), then a token rate."""

    def __init__(self, pacing: Pacing, cached_fraction: float = 0.0) -> None:
        self.unthrottled = pacing.unthrottled
        self.ttft_s = (
            0.0 if pacing.unthrottled else pacing.ttft_s * (1 - pacing.cache_ttft_factor * cached_fraction)
        )
        self.rate = max(pacing.tokens_per_s, 1e-3)
        self.started = time.perf_counter()
        self.first: float | None = None
        self.emitted = 0

    @property
    def tokens_per_chunk(self) -> int:
        return 1 if self.unthrottled else max(1, round(self.rate * CHUNK_INTERVAL_S))

    async def first_token(self) -> None:
        if self.ttft_s > 0:
            await asyncio.sleep(self.ttft_s)
        self.first = time.perf_counter()

    async def tokens(self, n: int) -> None:
        """Wait until `n` more tokens are generated (deadline-based, so sleeps never accumulate drift)."""
        if self.first is None:
            await self.first_token()
        assert self.first is not None
        self.emitted += n
        if not self.unthrottled:
            delay = self.first + self.emitted / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)

    def metrics(self, *, prompt_tokens: int, cached_tokens: int, completion_tokens: int) -> dict[str, Any]:
        end = time.perf_counter()
        first = self.first if self.first is not None else end
        ttft = first - self.started
        decode = end - first
        return {
            "ttft_ms": round(ttft * 1000, 3),
            "total_time_ms": round((end - self.started) * 1000, 3),
            "prompt_tokens": prompt_tokens,
            "cached_tokens": cached_tokens,
            "completion_tokens": completion_tokens,
            "prefill_tokens_per_s": round((prompt_tokens - cached_tokens) / ttft, 3) if ttft > 0 else None,
            "decode_tokens_per_s": round(completion_tokens / decode, 3) if decode > 0 else None,
        }
