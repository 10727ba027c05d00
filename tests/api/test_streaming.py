"""Streamed results: example streams, failures mid-stream, stop(), tool calls, usage and timing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.shared_api import EXAMPLES
from tm_tui.api.errors import StreamError
from tm_tui.api.reasoning import split_leading_think
from tm_tui.api.streaming import (
    ChatStream,
    CompletionStream,
    ReasoningDelta,
    ResponseStream,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)


def example(name: str) -> bytes:
    # '#' lines are annotations in responses.stream.txt, not part of the stream
    raw = (EXAMPLES / name).read_bytes()
    return b"".join(line for line in raw.splitlines(keepends=True) if not line.startswith(b"#"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> Callable[[], None]:
        def advance() -> None:
            self.now += seconds

        return advance


Step = bytes | BaseException | asyncio.Event | Callable[[], None]


class ScriptedBody(httpx.AsyncByteStream):
    """A response body played step by step: bytes are sent, an exception is raised (a cut
    connection), an Event is waited on (a silent server), a callable is run (clock ticks)."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.closed = False
        self.waiting = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for step in self.steps:
            if isinstance(step, bytes):
                yield step
            elif isinstance(step, BaseException):
                raise step
            elif isinstance(step, asyncio.Event):
                self.waiting.set()
                await step.wait()
            else:
                step()

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    clients: list[httpx.AsyncClient] = []

    def open_body(steps: list[Step], content_type: str = "text/event-stream") -> tuple[Any, ScriptedBody]:
        body = ScriptedBody(steps)
        headers = {"content-type": content_type, "x-request-id": "req-42"}
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, stream=body))
        )
        clients.append(client)
        return client.stream("POST", "http://127.0.0.1/v1/chat/completions", json={"stream": True}), body

    yield open_body
    for client in clients:
        await client.aclose()


def sse(*payloads: dict[str, Any] | str) -> bytes:
    return b"".join(f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads)


def chunk(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    # deliberately no id/created/model: the SDK raises on that, we must not
    return {"choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


async def run(stream: Any) -> list[StreamEvent]:
    async with stream:
        return [event async for event in stream]


# --- the example streams --------------------------------------------------------------------


async def test_chat_example_stream(serve) -> None:
    opener, body = serve([example("inference/chat_completions.stream.txt")])
    stream = ChatStream(opener, model="requested")
    events = await run(stream)
    result = stream.result
    assert result.content == "Hello! How can I help today?"
    assert result.reasoning == "The user greets me; reply warmly."
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello", "! How can I ", "help today?"]
    assert (
        result.usage is not None and result.usage.completion_tokens == 21 and result.usage.total_tokens == 33
    )
    assert events[-1] == UsageReport(result.usage)
    assert (result.finish_reason, result.model, result.response_id) == (
        "stop",
        "MiniMaxAI/MiniMax-M2.5",
        "chatcmpl-5c2e9d1f7a3b4e60",
    )
    assert (result.request_id, result.stopped, result.truncated, result.error) == (
        "req-42",
        False,
        False,
        None,
    )
    assert body.closed


async def test_think_tags_example_stream(serve) -> None:
    opener, _ = serve([example("inference/chat_completions.stream.think_tags.txt")])
    stream = ChatStream(opener, model="m")
    events = await run(stream)
    assert events == [ReasoningDelta("Short greeting is enough."), TextDelta("Hi there!")]
    assert (stream.result.reasoning, stream.result.content) == ("Short greeting is enough.", "Hi there!")


async def test_tool_calls_example_stream(serve) -> None:
    opener, _ = serve([example("inference/chat_completions.stream.tool_calls.txt")])
    stream = ChatStream(opener, model="m")
    events = await run(stream)
    assert events[0] == ToolCallDelta(
        index=0, id="call_9f2c", type="function", name="get_weather", arguments=""
    )
    assert stream.result.tool_calls == (
        ToolCall(0, "call_9f2c", "function", "get_weather", '{"city": "Paris"}'),
    )
    assert (stream.result.content, stream.result.finish_reason) == ("", "tool_calls")


async def test_completions_example_stream(serve) -> None:
    opener, _ = serve([example("inference/completions.stream.txt")])
    stream = CompletionStream(opener, model="m")
    await run(stream)
    assert stream.result.content == ", a lighthouse keeper found a map."
    assert (stream.result.finish_reason, stream.result.response_id, stream.result.usage) == (
        "stop",
        "cmpl-3b7d9e1a0c5f4a22",
        None,
    )


async def test_responses_example_stream(serve) -> None:
    opener, _ = serve([example("inference/responses.stream.txt")])
    stream = ResponseStream(opener, model="m")
    events = await run(stream)
    result = stream.result
    # the completed snapshot repeats the deltas' text: it must not be added twice
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("Bon"), TextDelta("jour !")]
    assert result.content == "Bonjour !"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        14,
        5,
        19,
    )
    assert (result.finish_reason, result.response_id, result.truncated) == (
        "completed",
        "resp_6a1e0b9c2d3f4e58",
        False,
    )


async def test_midstream_error_example_keeps_partial_text(serve) -> None:
    opener, body = serve([example("errors/chat_completions.stream.midstream_error.txt")])
    stream = ChatStream(opener, model="m")
    seen: list[StreamEvent] = []
    with pytest.raises(StreamError) as raised:
        async with stream:
            async for event in stream:
                seen.append(event)
    error = raised.value
    assert error.message == "upstream model worker disconnected"
    assert (error.partial_text, error.request_id) == ("Partial ans", "req-42")
    assert seen == [TextDelta("Partial ans")]
    assert stream.result.error is error and stream.result.content == "Partial ans"
    assert not stream.result.stopped and body.closed


# --- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_value", "message"),
    [("overloaded", "overloaded"), ({"code": 3}, '{"code": 3}'), ({"message": "boom", "type": "x"}, "boom")],
)
async def test_error_event_message(serve, error_value: Any, message: str) -> None:
    opener, _ = serve([sse(chunk(reasoning="hm"), {"error": error_value})])
    stream = ChatStream(opener, model="m")
    with pytest.raises(StreamError) as raised:
        await run(stream)
    assert raised.value.message == message
    assert raised.value.partial_reasoning == "hm"


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '{"choices": "nope"}'])
async def test_bad_payload_raises_stream_error(serve, payload: str) -> None:
    opener, body = serve([sse(chunk(content="kept"), payload)])
    stream = ChatStream(opener, model="m")
    with pytest.raises(StreamError) as raised:
        await run(stream)
    assert raised.value.partial_text == "kept"
    assert body.closed


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (httpx.RemoteProtocolError("peer closed connection"), "connection lost"),
        (httpx.ReadError("reset"), "connection lost"),
        (httpx.ReadTimeout("idle"), "stream idle timeout"),
    ],
)
async def test_cut_connection_keeps_partial(serve, failure: Exception, message: str) -> None:
    opener, body = serve([sse(chunk(content="<think>why"), chunk(content="</think>Hal")), failure])
    stream = ChatStream(opener, model="m")
    with pytest.raises(StreamError) as raised:
        await run(stream)
    error = raised.value
    assert error.message.startswith(message)
    assert (error.partial_reasoning, error.partial_text, error.request_id) == ("why", "Hal", "req-42")
    assert isinstance(error.__cause__, type(failure))
    assert stream.result.error is error and body.closed


async def test_end_without_done_after_finish_reason_is_complete(serve) -> None:
    opener, _ = serve([sse(chunk(content="Hi"), chunk(finish="stop"))])
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert (stream.result.content, stream.result.truncated, stream.result.error) == ("Hi", False, None)


async def test_end_without_done_or_finish_reason_is_truncated_not_raised(serve) -> None:
    opener, _ = serve([sse(chunk(content="Hi"))])
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert (stream.result.content, stream.result.truncated, stream.result.error) == ("Hi", True, None)


# --- stop() -------------------------------------------------------------------------------------


async def test_stop_inside_the_loop_keeps_partial_and_closes(serve) -> None:
    opener, body = serve(
        [sse(chunk(content="one "), chunk(content="two "), chunk(content="three"), "[DONE]")]
    )
    stream = ChatStream(opener, model="m")
    async with stream:
        async for event in stream:
            if event == TextDelta("one "):
                stream.stop()
    result = stream.result
    assert result.stopped and result.error is None and not result.truncated
    assert result.content.startswith("one ") and "three" not in result.content
    assert body.closed


async def test_stop_from_another_task_while_the_server_is_silent(serve) -> None:
    never = asyncio.Event()
    opener, body = serve(
        [sse(chunk(content="<think>plan"), chunk(content="</think>Part")), never, sse(chunk(content="late"))]
    )
    stream = ChatStream(opener, model="m")
    received: list[StreamEvent] = []

    async def consume() -> None:
        async with stream:
            async for event in stream:
                received.append(event)

    consumer = asyncio.create_task(consume())
    await body.waiting.wait()  # the reader is now blocked on the silent server
    stream.stop()
    async with asyncio.timeout(30):  # a guard, not a measurement: a broken stop() waits forever
        await consumer
    assert received == [ReasoningDelta("plan"), TextDelta("Part")]
    result = stream.result
    assert (result.content, result.reasoning, result.stopped, result.error) == ("Part", "plan", True, None)
    assert body.closed


async def test_cancelling_the_consumer_closes_and_marks_stopped(serve) -> None:
    never = asyncio.Event()
    opener, body = serve([sse(chunk(content="abc")), never])
    stream = ChatStream(opener, model="m")

    async def consume() -> None:
        await run(stream)

    consumer = asyncio.create_task(consume())
    await body.waiting.wait()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert stream.result.stopped and stream.result.content == "abc" and body.closed


async def test_leaving_the_block_early_counts_as_stopped(serve) -> None:
    opener, body = serve([sse(chunk(content="a"), chunk(content="b"), "[DONE]")])
    stream = ChatStream(opener, model="m")
    async with stream:
        async for _event in stream:
            break
    assert stream.result.stopped and stream.result.content == "a" and body.closed


async def test_iterating_before_entering_is_an_error(serve) -> None:
    opener, _ = serve([sse("[DONE]")])
    with pytest.raises(RuntimeError):
        await anext(ChatStream(opener, model="m"))


# --- chunk shapes --------------------------------------------------------------------------------


async def test_usage_absent_is_none_and_tokens_are_estimated(serve) -> None:
    opener, _ = serve([sse(chunk(content="a"), chunk(content="b", finish="stop"), "[DONE]")])
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert stream.result.usage is None
    assert (stream.result.timing.output_tokens, stream.result.timing.tokens_estimated) == (2, True)


async def test_usage_inside_a_chunk_with_choices(serve) -> None:
    last = chunk(content="!", finish="stop") | {
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    }
    opener, _ = serve([sse(chunk(content="hi"), last, "[DONE]")])
    stream = ChatStream(opener, model="m")
    events = await run(stream)
    assert stream.result.usage is not None and stream.result.usage.total_tokens == 5
    assert isinstance(events[-1], UsageReport) and stream.result.content == "hi!"


async def test_reasoning_field_names(serve) -> None:
    opener, _ = serve(
        [
            sse(
                chunk(reasoning_content="a"),
                chunk(reasoning="b", reasoning_content="b"),
                chunk(content="c"),
                "[DONE]",
            )
        ]
    )
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert (stream.result.reasoning, stream.result.content) == ("ab", "c")


async def test_tool_calls_assembled_by_index(serve) -> None:
    opener, _ = serve(
        [
            sse(
                chunk(
                    tool_calls=[
                        {
                            "index": 0,
                            "id": "c0",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a"'},
                        }
                    ]
                ),
                chunk(
                    tool_calls=[{"index": 1, "id": "c1", "function": {"name": "g", "arguments": {"x": 1}}}]
                ),
                chunk(
                    tool_calls=[{"index": 0, "function": {"name": "f", "arguments": ": 1}"}}]
                ),  # repeated name
                chunk(tool_calls=[{"index": 1}]),  # no function object: the SDK raises, we don't
                chunk(finish="tool_calls"),
                "[DONE]",
            )
        ]
    )
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert stream.result.tool_calls == (
        ToolCall(0, "c0", "function", "f", '{"a": 1}'),
        ToolCall(1, "c1", None, "g", '{"x": 1}'),
    )


async def test_other_choices_are_ignored(serve) -> None:
    opener, _ = serve([sse(chunk(content="zero"), chunk(index=1, content="one"), "[DONE]")])
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert stream.result.content == "zero"


async def test_whole_json_reply_instead_of_a_stream(serve) -> None:
    reply = (EXAMPLES / "inference/chat_completions.response.json").read_text()
    opener, _ = serve([reply.encode()], content_type="application/json")
    stream = ChatStream(opener, model="m")
    await run(stream)
    expected = json.loads(reply)
    assert stream.result.content == expected["choices"][0]["message"]["content"]
    assert (
        stream.result.usage is not None
        and stream.result.usage.total_tokens == expected["usage"]["total_tokens"]
    )
    assert not stream.result.truncated


async def test_non_leading_think_stays_content(serve) -> None:
    opener, _ = serve([sse(chunk(content="Hi <th"), chunk(content="ink>x</think>"), "[DONE]")])
    stream = ChatStream(opener, model="m")
    await run(stream)
    assert (stream.result.content, stream.result.reasoning) == ("Hi <think>x</think>", "")


async def test_held_back_partial_tag_is_flushed_at_the_end(serve) -> None:
    opener, _ = serve([sse(chunk(content="  <th"), "[DONE]")])
    stream = ChatStream(opener, model="m")
    events = await run(stream)
    assert events == [TextDelta("  <th")] and stream.result.content == "  <th"


# --- Responses API variants ------------------------------------------------------------------------


def response_object(text: str, status: str = "in_progress", **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "model": "srv",
        "status": status,
        "output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}],
        **extra,
    }


async def test_responses_bare_output_snapshots_and_pieces(serve) -> None:
    usage = {"input_tokens": 4, "output_tokens": 3, "input_tokens_details": {"cached_tokens": 2}}
    opener, _ = serve(
        [
            sse(
                response_object("Hel"),
                response_object("Hello"),  # cumulative snapshot: only "lo" is new
                response_object(" world"),  # does not extend: a new piece
                response_object("", status="completed", usage=usage),
                "[DONE]",
            )
        ]
    )
    stream = ResponseStream(opener, model="m")
    events = await run(stream)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo", " world"]
    result = stream.result
    assert (result.content, result.model, result.response_id, result.finish_reason) == (
        "Hello world",
        "srv",
        "resp_1",
        "completed",
    )
    assert result.usage is not None and (result.usage.total_tokens, result.usage.cached_tokens) == (7, 2)


async def test_responses_reasoning_deltas_and_completed_snapshot_fills_gaps(serve) -> None:
    completed = {
        "type": "response.completed",
        "response": {
            "id": "r",
            "status": "completed",
            "output": [
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}]},
                {"type": "message", "content": [{"type": "output_text", "text": "Answer"}]},
            ],
            "usage": {
                "input_tokens": 1,
                "output_tokens": 2,
                "output_tokens_details": {"reasoning_tokens": 1},
            },
        },
    }
    opener, _ = serve([sse({"type": "response.reasoning_summary_text.delta", "delta": "think"}, completed)])
    stream = ResponseStream(opener, model="m")
    await run(stream)
    result = stream.result
    assert (result.reasoning, result.content, result.truncated) == ("think", "Answer", False)
    assert result.usage is not None and result.usage.reasoning_tokens == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"type": "error", "code": "E", "message": "quota gone"}, "quota gone"),
        (
            {
                "type": "response.failed",
                "response": {"status": "failed", "error": {"message": "model crashed"}},
            },
            "model crashed",
        ),
    ],
)
async def test_responses_failures(serve, payload: dict[str, Any], message: str) -> None:
    opener, _ = serve([sse({"type": "response.output_text.delta", "delta": "so far"}, payload)])
    stream = ResponseStream(opener, model="m")
    with pytest.raises(StreamError) as raised:
        await run(stream)
    assert (raised.value.message, raised.value.partial_text) == (message, "so far")


# --- timing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_usage", [True, False])
async def test_timing_from_an_injected_clock(serve, with_usage: bool) -> None:
    clock = FakeClock()
    usage = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 11, "total_tokens": 16}}
    opener, _ = serve(
        [
            clock.tick(0.2),
            sse(chunk(role="assistant", content="")),  # no generated text: not a token
            clock.tick(0.3),
            sse(chunk(reasoning="r")),
            clock.tick(0.1),
            sse(chunk(content="a")),
            clock.tick(0.4),
            sse(chunk(content="b", finish="stop")),
            clock.tick(0.05),
            sse(*([usage] if with_usage else []), "[DONE]"),
        ]
    )
    stream = ChatStream(opener, model="m", clock=clock)
    await run(stream)
    timing = stream.result.timing
    assert timing.started == 100.0
    assert timing.ttft == pytest.approx(0.5)
    assert timing.gaps == pytest.approx((0.1, 0.4))
    assert timing.total == pytest.approx(1.05)
    assert timing.p50_gap == pytest.approx(0.25)
    assert timing.p95_gap == pytest.approx(0.1 + 0.3 * 0.95)
    tokens = 11 if with_usage else 3
    assert (timing.output_tokens, timing.tokens_estimated) == (tokens, not with_usage)
    assert timing.tokens_per_second == pytest.approx(tokens / 0.55)


async def test_timing_before_any_token(serve) -> None:
    opener, _ = serve([sse("[DONE]")])
    stream = ChatStream(opener, model="m")
    await run(stream)
    timing = stream.result.timing
    assert (timing.ttft, timing.tokens_per_second, timing.p50_gap) == (None, None, None)
    assert timing.total is not None and timing.total >= 0


# --- any split of the bytes gives the same stream -----------------------------------------------------

MIXED = (
    ": hello\r\n\r\n"
    + "".join(
        f"data: {json.dumps(c, ensure_ascii=False)}\r\n\r\n"
        for c in [
            chunk(content="<th"),
            chunk(content="ink> déjà ☕"),
            chunk(content=" vu </thi"),
            chunk(content="nk>\n\nRéponse 😀 "),
            chunk(reasoning_content="+"),
            chunk(content="fin", finish="stop"),
        ]
    )
    + "data: [DONE]\r\n\r\n"
).encode()

SPLIT_CASES = [
    (ChatStream, example("inference/chat_completions.stream.txt")),
    (ChatStream, example("inference/chat_completions.stream.think_tags.txt")),
    (ChatStream, example("inference/chat_completions.stream.tool_calls.txt")),
    (ChatStream, MIXED),
    (CompletionStream, example("inference/completions.stream.txt")),
    (ResponseStream, example("inference/responses.stream.txt")),
]


def _pieces(raw: bytes, cuts: list[int]) -> list[Step]:
    bounds = [0, *sorted({cut % (len(raw) + 1) for cut in cuts}), len(raw)]
    return [raw[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


async def _play(kind: type, steps: list[Step]) -> tuple[list[StreamEvent], tuple]:
    body = ScriptedBody(steps)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=body))
    async with httpx.AsyncClient(transport=transport) as client:
        stream = kind(client.stream("POST", "http://127.0.0.1/x"), model="m")
        events = await run(stream)
    r = stream.result
    return events, (r.content, r.reasoning, r.tool_calls, r.usage, r.finish_reason, r.truncated)


def test_mixed_stream_reference_values() -> None:
    _, (content, reasoning, *_rest) = asyncio.run(_play(ChatStream, [MIXED]))
    assert (reasoning, content) == ("déjà ☕ vu+", "Réponse 😀 fin")


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(SPLIT_CASES), cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_split_gives_identical_events_and_result(case: tuple[type, bytes], cuts: list[int]) -> None:
    kind, raw = case
    whole = asyncio.run(_play(kind, [raw]))
    split = asyncio.run(_play(kind, _pieces(raw, cuts)))
    assert split == whole


def _think_chunks(text: str, at: int) -> Iterator[bytes]:
    yield sse(chunk(content=text[:at]), chunk(content=text[at:]), "[DONE]")


@pytest.mark.parametrize(
    "text",
    [
        "<think>abc</think>\n\nHello",
        "  <think>a</think> <think> b </think>Hi <think>c</think>",
        "<think>never closed",
        "<thin",
    ],
)
def test_think_tags_split_at_every_position(text: str) -> None:
    expected = split_leading_think(text)
    for at in range(len(text) + 1):
        _, (content, reasoning, *_rest) = asyncio.run(_play(ChatStream, list(_think_chunks(text, at))))
        assert (reasoning, content) == expected, at
