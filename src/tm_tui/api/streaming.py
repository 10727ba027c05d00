"""Streamed inference replies: typed events while they arrive, one `StreamResult` at the end (§5).

    async with inference.stream_chat(...) as stream:   # stream: ChatStream
        async for event in stream:                       # TextDelta, ReasoningDelta, ...
            ...
    stream.result                                        # content, usage, timing, error, ...

`stop()` (the user pressed Esc) may be called from another task while the stream waits for
the server: the pending read is cancelled, the connection closed and the partial text kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import ValidationError

from tm_tui.api.errors import NetworkError, StreamError, Timeout
from tm_tui.api.models.base import Usage
from tm_tui.api.models.stream import (
    ChatCompletionChunk,
    CompletionChunk,
    ResponseOutputItem,
    ResponsesStreamEvent,
    output_reasoning,
    output_text,
)
from tm_tui.api.reasoning import LeadingThinkFilter
from tm_tui.api.sse import aiter_sse
from tm_tui.api.stream_events import (
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from tm_tui.api.stream_timing import Clock, StreamTimer, StreamTiming

type Opener = AbstractAsyncContextManager[httpx.Response]

_SERVER_MESSAGE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class StreamResult:
    content: str
    reasoning: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None  # None when the server never sent usage
    finish_reason: str | None
    model: str
    response_id: str | None
    request_id: str | None
    stopped: bool  # stop() was called, or the stream was left before its end
    truncated: bool  # ended with neither [DONE] nor a finish reason: the answer may be incomplete
    error: StreamError | None
    timing: StreamTiming


# --- the streams ----------------------------------------------------------------------------------


class _ToolCallBuilder:
    def __init__(self, index: int) -> None:
        self.index = index
        self.id: str | None = None
        self.type: str | None = None
        self.name = ""
        self.arguments: list[str] = []

    def add(self, delta: ToolCallDelta) -> None:
        self.id = self.id or delta.id
        self.type = self.type or delta.type
        # Most servers send the name once; some repeat it in every fragment, a few split it.
        if delta.name and delta.name != self.name:
            self.name += delta.name
        self.arguments.append(delta.arguments)

    def build(self) -> ToolCall:
        return ToolCall(self.index, self.id, self.type, self.name, "".join(self.arguments))


_STOPPED = object()  # the pending read was cancelled by stop()


def _server_message(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("message"), str) and value["message"].strip():
        text = value["message"]
    elif isinstance(value, str) and value.strip():
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text[:_SERVER_MESSAGE_LIMIT]


async def _next_or_none(payloads: AsyncGenerator[str, None]) -> str | None:
    return await anext(payloads, None)


def _failure(message: str, *, hint: str, body: object = None) -> StreamError:
    # partial text and request id are filled in by _finish, when they are final
    return StreamError(message, hint=hint, body=body)


def _server_failure(value: Any) -> StreamError:
    return _failure(
        _server_message(value),
        hint="The server stopped the answer part-way; the text so far is kept.",
        body=value,
    )


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _InferenceStream:
    """Lifecycle, SSE framing, error mapping and accumulation shared by the three streams.

    Subclasses turn one decoded JSON payload into events (`_on_payload`) and may hold text
    back until the end (`_tail`).
    """

    def __init__(self, opener: Opener, *, model: str, clock: Clock = time.perf_counter) -> None:
        self._opener = opener
        self._model = model
        self._timer = StreamTimer(clock)
        self._entered = False
        self._payloads: AsyncGenerator[str, None] | None = None
        self._read_task: asyncio.Task[str | None] | None = None
        self._pending: deque[StreamEvent] = deque()
        self._stop_requested = False
        self._finished = False
        self._done_seen = False
        # what has arrived
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._tools: dict[int, _ToolCallBuilder] = {}
        self._usage: Usage | None = None
        self._finish_reason: str | None = None
        self._response_id: str | None = None
        self._request_id: str | None = None
        self._stopped = False
        self._truncated = False
        self._error: StreamError | None = None

    # -- public surface

    @property
    def result(self) -> StreamResult:
        """What has arrived so far; final once the stream has ended, failed or been stopped."""
        return StreamResult(
            content="".join(self._content),
            reasoning="".join(self._reasoning),
            tool_calls=tuple(self._tools[index].build() for index in sorted(self._tools)),
            usage=self._usage,
            finish_reason=self._finish_reason,
            model=self._model,
            response_id=self._response_id,
            request_id=self._request_id,
            stopped=self._stopped,
            truncated=self._truncated,
            error=self._error,
            timing=self._timer.snapshot(self._usage),
        )

    def stop(self) -> None:
        """Stop reading: close the connection, keep what arrived, mark the result stopped."""
        if self._finished:
            return
        self._stop_requested = True
        if self._read_task is not None and not self._read_task.done():
            self._read_task.cancel()

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("a stream can only be entered once")
        self._entered = True
        self._timer.start()  # before the request is sent: TTFT includes connecting and queueing
        response = await self._opener.__aenter__()
        self._request_id = response.headers.get("x-request-id") or None
        self._payloads = self._read_payloads(response)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Leaving before the end (break, cancellation, an error in the caller) counts as stopping.
        await self._finish(stopped=True)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._payloads is None:
            raise RuntimeError("enter the stream with `async with` before iterating")
        if self._stop_requested:
            self._pending.clear()
            await self._finish(stopped=True)
        while not self._pending:
            if self._finished:
                raise StopAsyncIteration
            try:
                data = await self._next_data(self._payloads)
                if data is _STOPPED:
                    await self._finish(stopped=True)
                elif not isinstance(data, str) or data.strip() == "[DONE]":  # None: the stream ended
                    self._done_seen = data is not None
                    self._pending.extend(await self._finish())
                else:
                    self._pending.extend(self._events_from(data))
            except StreamError as error:
                await self._finish(error=error)
                raise
        return self._pending.popleft()

    # -- subclass hooks

    def _on_payload(self, payload: dict[str, Any]) -> list[StreamEvent]:
        raise NotImplementedError

    def _tail(self) -> list[StreamEvent]:
        return []

    # -- helpers for subclasses

    def _note_identity(self, response_id: str | None, model: str | None) -> None:
        self._response_id = self._response_id or response_id
        if model:
            self._model = model

    def _note_token(self) -> None:
        self._timer.token()

    def _text_so_far(self) -> str:
        return "".join(self._content)

    def _reasoning_so_far(self) -> str:
        return "".join(self._reasoning)

    # -- internals

    async def _read_payloads(self, response: httpx.Response) -> AsyncGenerator[str, None]:
        if response.headers.get("content-type", "").startswith("application/json"):
            # A server that ignored "stream": true and sent the whole reply at once.
            yield (await response.aread()).decode("utf-8", errors="replace")
            return
        async for event in aiter_sse(response):
            yield event.data

    async def _next_data(self, payloads: AsyncGenerator[str, None]) -> object:  # str, None or _STOPPED
        # The read runs as its own task so that stop() can cancel it while the server is silent.
        task = self._read_task = asyncio.create_task(_next_or_none(payloads))
        try:
            return await task
        except asyncio.CancelledError:
            if self._stop_requested and task.cancelled() and not _cancelling():
                return _STOPPED
            raise
        except (httpx.TimeoutException, Timeout) as exc:
            if self._stop_requested:
                return _STOPPED
            raise _failure(
                "stream idle timeout: the server sent nothing for too long",
                hint="The server went quiet; retry, or raise the stream idle timeout.",
            ) from exc
        except (httpx.RequestError, NetworkError) as exc:
            if self._stop_requested:
                return _STOPPED
            raise _failure(
                "connection lost mid-stream",
                hint="The connection dropped part-way; the text so far is kept. Retry for the full answer.",
            ) from exc

    def _events_from(self, data: str) -> list[StreamEvent]:
        if not data.strip():
            return []
        try:
            payload = json.loads(data)
        except ValueError as exc:
            raise _failure(
                "the server sent a stream event that is not JSON",
                hint="The server sent an unexpected reply.",
                body=data[:_SERVER_MESSAGE_LIMIT],
            ) from exc
        if not isinstance(payload, dict):
            raise _failure(
                "the server sent a stream event that is not a JSON object",
                hint="The server sent an unexpected reply.",
                body=payload,
            )
        if payload.get("error") is not None:
            raise _server_failure(payload["error"])
        try:
            events = self._on_payload(payload)
        except ValidationError as exc:
            raise _failure(
                "the server sent a stream event of an unexpected shape",
                hint="The server sent an unexpected reply.",
                body=payload,
            ) from exc
        for event in events:
            self._accumulate(event)
        return events

    def _accumulate(self, event: StreamEvent) -> None:
        match event:
            case TextDelta(text):
                self._content.append(text)
            case ReasoningDelta(text):
                self._reasoning.append(text)
            case ToolCallDelta(index=index):
                self._tools.setdefault(index, _ToolCallBuilder(index)).add(event)
            case UsageReport(usage):
                self._usage = usage

    async def _finish(self, *, stopped: bool = False, error: StreamError | None = None) -> list[StreamEvent]:
        """End the stream once: flush held-back text, stop the clock, close the connection."""
        if self._finished:
            return []
        self._finished = True
        tail = self._tail()
        for event in tail:
            self._accumulate(event)
        self._timer.stop()
        self._stopped = stopped and error is None
        self._truncated = not (stopped or error is not None or self._done_seen or self._finish_reason)
        if error is not None:
            error.partial_text = self._text_so_far()
            error.partial_reasoning = self._reasoning_so_far()
            error.request_id = error.request_id or self._request_id
            self._error = error
        await self._close()
        return tail

    async def _close(self) -> None:
        if not self._entered:
            return
        task = self._read_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})
        if self._payloads is not None:
            await self._payloads.aclose()
            await self._opener.__aexit__(None, None, None)


class ChatStream(_InferenceStream):
    """`POST /v1/chat/completions` with `"stream": true`; the first choice is followed."""

    def __init__(self, opener: Opener, *, model: str, clock: Clock = time.perf_counter) -> None:
        super().__init__(opener, model=model, clock=clock)
        self._think = LeadingThinkFilter()

    def _on_payload(self, payload: dict[str, Any]) -> list[StreamEvent]:
        chunk = ChatCompletionChunk.model_validate(payload)
        self._note_identity(chunk.id, chunk.model)
        events: list[StreamEvent] = []
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            delta = choice.changes
            calls = delta.tool_calls or []
            if delta.reasoning_text:
                events.append(ReasoningDelta(delta.reasoning_text))
            if delta.content:
                events.extend(self._think.feed(delta.content))
            for position, call in enumerate(calls):
                function = call.function
                events.append(
                    ToolCallDelta(
                        index=call.index if call.index is not None else position,
                        id=call.id,
                        type=call.type,
                        name=function.name if function else None,
                        arguments=(function.arguments or "") if function else "",
                    )
                )
            if delta.reasoning_text or delta.content or calls:
                self._note_token()
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        if chunk.usage is not None:
            events.append(UsageReport(chunk.usage))
        return events

    def _tail(self) -> list[StreamEvent]:
        return list(self._think.finish())


class CompletionStream(_InferenceStream):
    """`POST /v1/completions` with `"stream": true`; text from the first choice."""

    def _on_payload(self, payload: dict[str, Any]) -> list[StreamEvent]:
        chunk = CompletionChunk.model_validate(payload)
        self._note_identity(chunk.id, chunk.model)
        events: list[StreamEvent] = []
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            if choice.text:
                events.append(TextDelta(choice.text))
                self._note_token()
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        if chunk.usage is not None:
            events.append(UsageReport(chunk.usage))
        return events


class ResponseStream(_InferenceStream):
    """`POST /v1/responses` with `"stream": true` (reference §5.4, AMBIGUOUS).

    Accepts the OpenAI event names (`response.output_text.delta`, `response.reasoning*.delta`,
    `response.completed`, `error`, `response.failed`) and, as the `tm` CLI reads, events
    carrying a whole response object with a top-level `output` array. Such an `output` is taken
    as a snapshot: what extends the text so far is added; one that does not is read as a new
    piece. The final snapshot in `response.completed` only fills in what deltas did not bring.
    """

    _ENDED = {"response.completed": "completed", "response.incomplete": "incomplete"}

    def _on_payload(self, payload: dict[str, Any]) -> list[StreamEvent]:
        event = ResponsesStreamEvent.model_validate(payload)
        kind = event.type or ""
        if kind == "error":
            raise _server_failure(event.message if event.message is not None else payload)
        events: list[StreamEvent] = []
        usage = None
        if (response := event.response) is not None:
            if kind == "response.failed":
                raise _server_failure(response.error or "the response failed")
            self._note_identity(response.id, response.model)
            usage = response.usage
            if kind in self._ENDED:
                self._finish_reason = response.status or self._ENDED[kind]
            if response.output:
                events += self._merge_snapshot(response.output, pieces=False)
        if isinstance(event.delta, str) and event.delta:
            if kind == "response.output_text.delta":
                events.append(TextDelta(event.delta))
                self._note_token()
            elif kind.startswith("response.reasoning") and kind.endswith(".delta"):
                events.append(ReasoningDelta(event.delta))
                self._note_token()
        if event.output is not None:
            self._note_identity(event.id, event.model)
            usage = event.usage or usage
            if event.status in ("completed", "incomplete"):
                self._finish_reason = event.status
            events += self._merge_snapshot(event.output, pieces=True)
        if usage is not None:
            events.append(UsageReport(usage.to_usage()))
        return events

    def _merge_snapshot(self, items: list[ResponseOutputItem], *, pieces: bool) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for make, so_far, snapshot in (
            (TextDelta, self._text_so_far(), output_text(items)),
            (ReasoningDelta, self._reasoning_so_far(), output_reasoning(items)),
        ):
            extends = snapshot.startswith(so_far)
            new = snapshot[len(so_far) :] if extends else (snapshot if pieces else "")
            if new:
                events.append(make(new))
        if events:
            self._note_token()
        return events
