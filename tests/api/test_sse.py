"""SSE framing: WHATWG rules, the SDK's tolerances, and chunk boundaries anywhere."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tm_tui.api.sse import ServerSentEvent, SSEDecoder, aiter_sse


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.flush()


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]


def test_fields_comments_and_one_optional_space() -> None:
    events = decode(
        b": keep-alive\n"
        b"event: delta\nid: 7\nretry: 1500\ndata: hello\n\n"
        b"data:no-space\n\n"
        b"data:  two spaces\n\n"
    )
    assert events == [
        ServerSentEvent(data="hello", event="delta", id="7", retry=1500),
        ServerSentEvent(data="no-space", id="7"),  # the last id persists, as in the WHATWG spec
        ServerSentEvent(data=" two spaces", id="7"),
    ]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert datas(decode(b'data: {"a":\ndata: 1}\n\ndata: x\ndata:\ndata: y\n\n')) == ['{"a":\n1}', "x\n\ny"]


@pytest.mark.parametrize("newline", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(newline: bytes) -> None:
    raw = newline.join([b"event: e", b"data: one", b"data: two", b"", b"data: three", b"", b""])
    assert decode(raw) == [ServerSentEvent(data="one\ntwo", event="e"), ServerSentEvent(data="three")]


def test_json_or_done_data_line_starts_a_new_event_without_blank_line() -> None:
    raw = b'data: {"n": 1}\ndata: {"n": 2}\ndata:[DONE]\n'
    assert datas(decode(raw)) == ['{"n": 1}', '{"n": 2}', "[DONE]"]


def test_non_json_continuation_still_joins() -> None:
    assert datas(decode(b'data: {"n":\ndata: 1}\n\n')) == ['{"n":\n1}']


def test_end_of_stream_flushes_pending_event_and_unterminated_line() -> None:
    assert datas(decode(b"data: a\n\ndata: b\ndata: c")) == ["a", "b\nc"]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\nevent: lonely\n\n: comment\n\nid: 3\n\n") == []


def test_unknown_fields_and_bad_retry_and_nul_id_are_ignored() -> None:
    events = decode(b"foo: bar\nretry: 1s\nid: a\x00b\ndata\n\n")
    assert events == [ServerSentEvent(data="")]  # a bare "data" line is a data field with an empty value


def test_split_inside_multibyte_character_and_inside_crlf() -> None:
    raw = "data: café ☕ 😀\r\n\r\n".encode()
    emoji_start = raw.index("😀".encode())
    crlf = raw.index(b"\r\n")
    chunks = [
        raw[: emoji_start + 1],
        raw[emoji_start + 1 : crlf + 1],
        raw[crlf + 1 : crlf + 3],
        raw[crlf + 3 :],
    ]
    assert b"".join(chunks) == raw
    assert datas(decode(*chunks)) == ["café ☕ 😀"]


def test_cr_at_chunk_end_is_not_a_blank_line_when_lf_follows() -> None:
    # "a\r" | "\n" must be one line break, not two (which would end the event early).
    assert datas(decode(b"data: a\r", b"\ndata: b\r\n\r\n")) == ["a\nb"]


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert datas(decode(b"data: ok \xff\xfe end\n\ndata: cut \xe2\x82")) == [
        "ok \ufffd\ufffd end",
        "cut \ufffd",
    ]


def test_leading_byte_order_mark_is_dropped() -> None:
    assert datas(decode(b"\xef\xbb", b"\xbfdata: x\n\n")) == ["x"]


# --- any split of any stream gives the same events ---------------------------------------------

_text = st.text(
    alphabet=st.sampled_from(list("ab {}:[]é☕😀\u2028 ")),
    max_size=12,
).filter(lambda value: not value.lstrip().startswith("{"))  # such a line would start a new event
_event = st.builds(
    ServerSentEvent,
    data=st.lists(_text, min_size=1, max_size=3).map("\n".join),
    event=st.none() | st.sampled_from(["delta", "done", "é"]),
    id=st.none() | st.sampled_from(["1", "x y"]),
)


def _serialise(events: list[ServerSentEvent], newline: str, comments: bool) -> bytes:
    lines: list[str] = []
    for event in events:
        if comments:
            lines.append(": ping")
        if event.event is not None:
            lines.append(f"event: {event.event}")
        if event.id is not None:
            lines.append(f"id:{event.id}")
        lines.extend(f"data: {line}" for line in event.data.split("\n"))
        lines.append("")
    return (newline.join(lines) + newline).encode()


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({cut % (len(raw) + 1) for cut in cuts}), len(raw)]
    return [raw[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(_event, max_size=5),
    newline=st.sampled_from(["\n", "\r", "\r\n"]),
    comments=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=12),
)
def test_any_split_yields_the_serialised_events(
    events: list[ServerSentEvent], newline: str, comments: bool, cuts: list[int]
) -> None:
    raw = _serialise(events, newline, comments)
    # ids persist from one event to the next, as the spec says
    expected, last_id = [], None
    for event in events:
        last_id = event.id if event.id is not None else last_id
        expected.append(ServerSentEvent(data=event.data, event=event.event, id=last_id))
    assert decode(raw) == expected
    assert decode(*_split(raw, cuts)) == expected


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=80), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_arbitrary_bytes_never_crash_and_split_does_not_matter(raw: bytes, cuts: list[int]) -> None:
    assert decode(*_split(raw, cuts)) == decode(raw)


async def test_aiter_sse_reads_a_streamed_response() -> None:
    chunks = [b'data: {"a"', b": 1}\r", b"\n\r\n: ping\n\nda", b"ta: [DONE]"]

    async def body():
        for chunk in chunks:
            yield chunk

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body()))
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("GET", "http://127.0.0.1/events") as response,
    ):
        assert datas([event async for event in aiter_sse(response)]) == ['{"a": 1}', "[DONE]"]


def test_an_endless_line_is_refused_in_linear_time():
    import pytest

    from tm_tui.api.sse import MAX_LINE_CHARS, EventTooLarge, SSEDecoder

    decoder = SSEDecoder()
    chunk = b"x" * 65536
    with pytest.raises(EventTooLarge):
        decoder.feed(b"data: ")
        for _ in range(MAX_LINE_CHARS // len(chunk) + 2):
            decoder.feed(chunk)


def test_a_long_line_split_over_many_chunks_is_one_event():
    from tm_tui.api.sse import SSEDecoder

    decoder = SSEDecoder()
    events = [e for piece in [b"data: ", *[b"y" * 1000] * 50, b"\r", b"\n\n"] for e in decoder.feed(piece)]
    assert [e.data for e in events] == ["y" * 50_000]
