"""The streams' fast paths read exactly what the general paths read (issue #13, bench_client.py).

* SSE framing: the batched decoders give the events of the line-at-a-time reference decoder.
* Chat chunks: `plain_chat_delta` answers only for chunks the model validates, with its values;
  a chunk parsed by orjson and read by it gives what `json` and the model give, and a stream reads
  the same events and result with or without the fast path.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest.mock import patch

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.sse_reference import ReferenceSSEDecoder
from tests.api.test_streaming import MIXED, _pieces, _play, example
from tm_tui.api import streaming
from tm_tui.api.errors import StreamError
from tm_tui.api.models.stream import ChatCompletionChunk, plain_chat_delta
from tm_tui.api.sse import SSEDataDecoder, SSEDecoder
from tm_tui.api.streaming import ChatStream

# --- SSE framing ----------------------------------------------------------------------------------


def _decode(decoder: Any, pieces: list[bytes]) -> list[Any]:
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.flush()


_field = st.sampled_from([b"data:", b"data: ", b"data", b"event: ", b"id:", b"retry: ", b":", b"", b"da"])
_value = st.sampled_from(
    [
        b"",
        b"x",
        b" x",
        b"  y",
        b'{"a": 1}',
        b" {}",
        b"[DONE]",
        b"9",
        b"x\0",
        "\u00e9".encode(),
        b"\xc3",
        b"\xff",
    ]
)
_line = st.tuples(_field, _value).map(b"".join)
_newline = st.sampled_from([b"\n", b"\r", b"\r\n"])
_sse_bytes = st.tuples(
    st.sampled_from([b"", b"\xef\xbb\xbf"]), st.lists(st.tuples(_line, _newline).map(b"".join), max_size=12)
).map(lambda parts: parts[0] + b"".join(parts[1]))


@settings(max_examples=300, deadline=None)
@given(raw=_sse_bytes | st.binary(max_size=60), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_decoders_match_the_line_at_a_time_reference(raw: bytes, cuts: list[int]) -> None:
    pieces = _pieces(raw, cuts)
    expected = _decode(ReferenceSSEDecoder(), [raw])
    assert _decode(SSEDecoder(), pieces) == expected
    assert _decode(SSEDataDecoder(), pieces) == [event.data for event in expected]


# --- JSON: orjson on the fast path, json otherwise ------------------------------------------------


def _outcome(data: str) -> tuple[Any, ...]:
    stream = ChatStream(None, model="m")  # type: ignore[arg-type]  # only the decoding is used
    try:
        events = stream._events_from(data)
    except StreamError as error:
        return ("error", str(error), repr(error.body))
    result = stream.result
    return ("events", events, result.content, result.reasoning, result.usage, result.finish_reason)


def _json_only(data: str) -> tuple[Any, ...]:
    with patch.object(streaming.orjson, "loads", side_effect=orjson.JSONDecodeError("refused", data, 0)):
        return _outcome(data)


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec=None), max_size=4)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
)
_chunk_text = st.sampled_from(
    ['{"choices":[{"delta":{"content":"', '"}}]}', "\\ud800", "\\udc00x", "é", "NaN", "1e999", "-Infinity",
     "123456789012345678901234567890", '{"error":', "null", "}", " ", '"', "\\", "\t", "[DONE]", ",", ":"]
).map(str) | st.text(max_size=3)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    data=_json_values.map(lambda value: json.dumps(value, ensure_ascii=True))
    | st.lists(_chunk_text, max_size=8).map("".join)
)
def test_the_orjson_fast_path_reads_what_json_reads(data: str) -> None:
    assert _outcome(data) == _json_only(data)


def test_what_orjson_reads_otherwise_is_read_by_json() -> None:
    lone_surrogate = '{"choices":[{"delta":{"content":"a\\ud800b"}}], "x": NaN}'
    assert _outcome(lone_surrogate)[2] == "a\ud800b"
    # orjson reads integers beyond 64 bits as floats: the fast path leaves such a chunk to json
    huge = '{"created": 123456789012345678901234567890, "choices":[{"delta":{"content":"a"}}]}'
    assert _outcome(huge) == _json_only(huge)


# --- chat chunks: the usual shape read without the model ------------------------------------------

_any = (
    st.none() | st.text(alphabet="ab <>/é", max_size=4) | st.integers(-1, 2) | st.booleans()
    | st.just(1.5) | st.just("1") | st.just(10**30) | st.just([]) | st.just({})
)  # fmt: skip
_text = st.none() | st.text(alphabet="ab <>/thinké😀\n", max_size=6)
_tool_calls = st.just([{"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a"'}}])
_delta = st.fixed_dictionaries(
    {},
    optional={"content": _text, "role": _text, "reasoning": _text, "reasoning_content": _text, "extra": _any},
)
_choice = st.fixed_dictionaries(
    {"delta": _delta}, optional={"index": st.just(0), "finish_reason": _text, "logprobs": _any}
)
_good_chunk = st.fixed_dictionaries(
    {"choices": st.lists(_choice, min_size=1, max_size=1)},
    optional={"id": _text, "model": _text, "object": _text, "created": st.just(1767225600)},
)
_USUAL = {"top": ["choices", "id", "model", "object", "created", "usage", "error"],
          "choice": ["index", "delta", "message", "finish_reason"],
          "delta": ["content", "role", "reasoning", "reasoning_content", "tool_calls"]}  # fmt: skip
_spoilers = {
    "choices": st.just([]) | st.lists(_choice, min_size=2, max_size=2),
    "usage": st.just({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
    "message": _delta,
    "tool_calls": _tool_calls,
    "index": st.sampled_from([1, 0.0, True, None, "0"]),
}


@st.composite
def _chunk(draw: st.DrawFn) -> dict[str, Any]:
    """A chunk of the usual shape, or one with a single field made unusual (the fast path's edge)."""
    payload = draw(_good_chunk)
    if draw(st.booleans()):
        level = draw(st.sampled_from(list(_USUAL)))
        target = {"top": payload, "choice": payload["choices"][0], "delta": payload["choices"][0]["delta"]}[
            level
        ]
        key = draw(st.sampled_from(_USUAL[level]))
        target[key] = draw(_spoilers.get(key, _any) | _any)
    return payload


@settings(max_examples=500, deadline=None)
@given(payload=_chunk())
def test_plain_chat_delta_agrees_with_the_model(payload: dict[str, Any]) -> None:
    plain = plain_chat_delta(payload)
    if plain is None:
        return
    chunk = ChatCompletionChunk.model_validate(payload)  # never raises for a chunk the fast path read
    assert chunk.usage is None and chunk.choices is not None and len(chunk.choices) == 1
    choice = chunk.choices[0]
    delta = choice.changes
    assert choice.index == 0 and not delta.tool_calls
    assert plain == (chunk.id, chunk.model, delta.reasoning_text, delta.content, choice.finish_reason)


def _play_outcome(raw: bytes) -> Any:
    try:
        return asyncio.run(_play(ChatStream, [raw]))
    except StreamError as error:
        return ("error", str(error), error.partial_text, error.partial_reasoning)


def _sse(payloads: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(p).encode() + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"


@settings(max_examples=150, deadline=None)
@given(payloads=st.lists(_chunk(), max_size=6))
def test_a_stream_reads_the_same_with_and_without_the_fast_path(payloads: list[dict[str, Any]]) -> None:
    raw = _sse(payloads)
    with patch.object(streaming, "plain_chat_delta", return_value=None):
        general = _play_outcome(raw)
    assert _play_outcome(raw) == general


def test_the_example_streams_take_the_fast_path() -> None:
    seen: list[bool] = []

    def spy(payload: dict[str, Any]) -> Any:
        result = plain_chat_delta(payload)
        seen.append(result is not None)
        return result

    for raw in (example("inference/chat_completions.stream.txt"), MIXED):
        with patch.object(streaming, "plain_chat_delta", side_effect=spy):
            _play_outcome(raw)
    assert sum(seen) >= len(seen) - 4  # all but a role-less usage chunk or two
