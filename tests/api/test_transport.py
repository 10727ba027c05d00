"""Transport: URLs, query/headers on the wire, error mapping, retries, timeouts, streams."""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certifi
import httpx
import pytest

from tests.api.helpers import CP, example, example_text
from tm_tui.api import errors
from tm_tui.api.transport import (
    Reply,
    Transport,
    backoff_delay,
    make_http_client,
    normalize_base_url,
    parse_retry_after,
    quote_path,
)

TOKEN = "secret-token-123"


@pytest.fixture
def transport(http, sleep) -> Transport:
    return Transport(http, CP + "/", token=TOKEN, max_retries=3, sleep=sleep)


def http_reply(raw: str) -> httpx.Response:
    """An `httpx.Response` from a raw HTTP/1.1 text example."""
    head, _, body = raw.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=body.encode())


# --- URLs, query strings, headers ---------------------------------------------------------------


def test_quote_path_has_no_safe_characters():
    assert quote_path("a/b c?d#é") == "a%2Fb%20c%3Fd%23%C3%A9"


def test_base_url_trailing_slash_is_stripped_and_bad_urls_refused():
    assert normalize_base_url(" https://api.example.com/// ") == "https://api.example.com"
    for bad in ["", "api.example.com", "ftp://x", "https://"]:
        with pytest.raises(errors.ConfigError):
            normalize_base_url(bad)


async def test_query_booleans_lower_case_and_none_dropped(router, transport):
    route = router.get(f"{CP}/v1/x").respond(200, json={})
    await transport.request("GET", "/v1/x", params={"a": True, "b": False, "c": None, "d": 3, "e": "s"})
    assert route.calls.last.request.url.query == b"a=true&b=false&d=3&e=s"


async def test_headers_bearer_and_content_type_only_with_body(router, transport):
    get = router.get(f"{CP}/v1/x").respond(200, json={})
    post = router.post(f"{CP}/v1/x").respond(200, json={})
    await transport.request("GET", "/v1/x")
    await transport.request("POST", "/v1/x", json={"k": 1})
    got, posted = get.calls.last.request, post.calls.last.request
    assert got.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "content-type" not in got.headers
    assert posted.headers["Content-Type"] == "application/json"
    assert posted.content == b'{"k":1}'


async def test_no_token_means_no_authorization_and_caller_header_wins(router, http):
    route = router.get(f"{CP}/h").respond(200, json={})
    await Transport(http, CP).request("GET", "/h")
    assert "authorization" not in route.calls.last.request.headers
    await Transport(http, CP, token=TOKEN).request("GET", "/h", headers={"authorization": "Bearer mine"})
    assert route.calls.last.request.headers["Authorization"] == "Bearer mine"


async def test_set_token_swaps_the_bearer_and_repr_hides_it(router, transport):
    route = router.get(f"{CP}/h").respond(200, json={})
    transport.set_token("fresh")
    await transport.request("GET", "/h")
    assert route.calls.last.request.headers["Authorization"] == "Bearer fresh"
    assert "fresh" not in repr(transport)


async def test_secrets_never_reach_the_log(router, transport, caplog):
    router.delete(f"{CP}/v1/users/api-keys").respond(200, json={}, headers={"x-request-id": "r1"})
    with caplog.at_level(logging.DEBUG, logger="tm_tui"):
        await transport.request("DELETE", "/v1/users/api-keys", params={"apiKey": "tmk_live_SECRET"})
    assert caplog.records, "the transport should log the call"
    assert TOKEN not in caplog.text and "tmk_live_SECRET" not in caplog.text


async def test_reply_carries_request_id_status_and_latency(router, transport):
    router.get(f"{CP}/h").respond(200, json={"ok": True}, headers={"X-Request-Id": "req-42"})
    reply = await transport.request("GET", "/h")
    assert (reply.data, reply.request_id, reply.status) == ({"ok": True}, "req-42", 200)
    assert reply.latency_s >= 0


async def test_request_timeout_is_the_transport_timeout(router, http):
    route = router.get(f"{CP}/h").respond(200, json={})
    await Transport(http, CP, timeout=7.5).request("GET", "/h")
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


# --- error mapping ------------------------------------------------------------------------------

STATUS_CASES = [
    (400, "errors/control_plane_400.response.json", errors.BadRequest, "invalid UpdateBillingAddressRequest"),
    (400, "errors/inference_400_context_length.response.json", errors.BadRequest, "maximum context length"),
    (401, "errors/inference_401.response.json", errors.AuthError, "Invalid API key."),
    (401, "errors/control_plane_401.response.json", errors.AuthError, "invalid or expired token"),
    (403, "errors/control_plane_403.response.json", errors.PermissionDenied, "admin role required"),
    (404, "errors/control_plane_404.response.json", errors.NotFound, "ticket tkt_9999 not found"),
    (409, None, errors.Conflict, "already exists"),
    (422, "errors/inference_422.response.json", errors.ValidationFailed, "max_tokens must be at least 1"),
    (500, None, errors.ServerError, "already exists"),
    (503, None, errors.ServerError, "already exists"),
    (402, None, errors.APIStatusError, "already exists"),
]


@pytest.mark.parametrize(("status", "body_file", "kind", "text"), STATUS_CASES)
async def test_status_maps_to_typed_error_with_message_and_request_id(
    router, http, status, body_file, kind, text
):
    body = example(body_file) if body_file else {"error": {"message": "key already exists", "type": "x"}}
    router.post(f"{CP}/x").respond(status, json=body, headers={"x-request-id": "req-9"})
    with pytest.raises(kind) as caught:
        await Transport(http, CP).request("POST", "/x", json={})
    err = caught.value
    assert type(err) is kind
    assert text in err.message
    assert (err.status, err.request_id, err.body) == (status, "req-9", body)
    assert str(err).startswith(f"HTTP {status}:") and "(request id req-9)" in str(err)


async def test_429_example_gives_rate_limited_with_retry_after(router, http):
    router.post(f"{CP}/v1/chat/completions").mock(
        return_value=http_reply(example_text("errors/inference_429.http.txt"))
    )
    with pytest.raises(errors.RateLimited) as caught:
        await Transport(http, CP).request("POST", "/v1/chat/completions", json={})
    err = caught.value
    assert err.retry_after == 2.0
    assert err.request_id == "req_8f1e2d3c"
    assert err.message == "Rate limit exceeded. Retry later."


HTML_502 = (
    """<!DOCTYPE html><html><head><title>502 Bad Gateway</title>
<style>body { font-family: sans-serif; }</style></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center>
<script>var tracking = "x".repeat(9999);</script>"""
    + "<p>filler</p>" * 2000
    + "</body></html>"
)


async def test_html_502_becomes_a_short_message(router, http):
    router.get(f"{CP}/x").respond(502, text=HTML_502, headers={"content-type": "text/html"})
    with pytest.raises(errors.ServerError) as caught:
        await Transport(http, CP).request("GET", "/x")
    assert caught.value.message == "502 Bad Gateway"


async def test_untitled_html_is_stripped_and_cut(router, http):
    page = (
        "<html><body><script>secret()</script><h1>Oops &amp; sorry</h1>"
        + "<p>word</p>" * 500
        + "</body></html>"
    )
    router.get(f"{CP}/x").respond(500, text=page)
    with pytest.raises(errors.ServerError) as caught:
        await Transport(http, CP).request("GET", "/x")
    message = caught.value.message
    assert message.startswith("Oops & sorry word word")
    assert len(message) <= 200 and "<" not in message and "secret" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "Service Unavailable"),
        (b"upstream connect error\x1b[31m\nor disconnect", "upstream connect error [31m or disconnect"),
        (b'{"detail": "Not authenticated"}', "Not authenticated"),
        (b'{"error": "plain string error"}', "plain string error"),
        (b'{"weird": 1}', "Service Unavailable"),
    ],
)
async def test_other_error_bodies(router, http, body, expected):
    router.get(f"{CP}/x").respond(503, content=body)
    with pytest.raises(errors.ServerError) as caught:
        await Transport(http, CP).request("GET", "/x")
    assert caught.value.message == expected


@pytest.mark.parametrize("body", [b"<html>not json</html>", b"{truncated"])
async def test_non_json_2xx_is_a_protocol_error(router, http, body):
    router.get(f"{CP}/x").respond(200, content=body, headers={"x-request-id": "r7"})
    with pytest.raises(errors.ProtocolError) as caught:
        await Transport(http, CP).request("GET", "/x")
    assert caught.value.request_id == "r7"


# --- retries ------------------------------------------------------------------------------------


def test_backoff_schedule_is_capped():
    assert [backoff_delay(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 8, 8]


def test_parse_retry_after_numbers_dates_and_junk():
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    in_3s = email.utils.format_datetime(now + timedelta(seconds=3), usegmt=True)
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(" 2 ") == 2.0
    assert parse_retry_after("120") == 8.0
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(in_3s, now=now) == 3.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("Sun, 01 Mar 2026 13:00:00 GMT", now=now) == 8.0
    assert (
        parse_retry_after("soon") is None
        and parse_retry_after(None) is None
        and parse_retry_after("nan") is None
    )


async def test_get_retries_5xx_with_exponential_backoff(router, transport, sleep):
    route = router.get(f"{CP}/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": 1})]
    )
    reply = await transport.request("GET", "/x")
    assert reply.data == {"ok": 1}
    assert route.call_count == 3
    assert sleep.delays == [0.5, 1.0]


@pytest.mark.parametrize(
    ("header", "delay"),
    [
        ("0.1", 0.1),
        ("30", 8.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        (email.utils.format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True), 8.0),
    ],
)
async def test_retry_after_header_sets_the_delay(router, transport, sleep, header, delay):
    router.get(f"{CP}/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": header}), httpx.Response(200, json={})]
    )
    await transport.request("GET", "/x")
    assert sleep.delays == [delay]


async def test_last_failure_is_raised_after_all_retries(router, http, sleep):
    route = router.delete(f"{CP}/x").respond(500, json={"message": "still broken"})
    with pytest.raises(errors.ServerError, match="still broken"):
        await Transport(http, CP, max_retries=2, sleep=sleep).request("DELETE", "/x")
    assert route.call_count == 3
    assert sleep.delays == [0.5, 1.0]


@pytest.mark.parametrize("method", ["PUT", "HEAD", "OPTIONS"])
async def test_other_idempotent_methods_are_retried(router, http, sleep, method):
    route = router.route(method=method, url=f"{CP}/x").mock(
        side_effect=[httpx.Response(504), httpx.Response(200)]
    )
    await Transport(http, CP, max_retries=1, sleep=sleep).request(method, "/x")
    assert route.call_count == 2


async def test_post_is_never_retried(router, transport, sleep):
    route = router.post(f"{CP}/x").respond(503)
    with pytest.raises(errors.ServerError):
        await transport.request("POST", "/x", json={})
    assert route.call_count == 1 and sleep.delays == []


async def test_non_retry_status_is_not_retried(router, transport, sleep):
    route = router.get(f"{CP}/x").respond(404)
    with pytest.raises(errors.NotFound):
        await transport.request("GET", "/x")
    assert route.call_count == 1 and sleep.delays == []


async def test_no_retries_by_default(router, http, sleep):
    route = router.get(f"{CP}/x").respond(503)
    with pytest.raises(errors.ServerError):
        await Transport(http, CP, sleep=sleep).request("GET", "/x")
    assert route.call_count == 1


async def test_connection_errors_are_retried_then_raised(router, transport, sleep):
    route = router.get(f"{CP}/x").mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(errors.NetworkError, match="Connection refused") as caught:
        await transport.request("GET", "/x")
    assert not isinstance(caught.value, errors.Timeout)
    assert route.call_count == 4
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_network_errors_always_use_backoff_and_recover(router, transport, sleep):
    router.get(f"{CP}/x").mock(side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={"ok": 1})])
    assert (await transport.request("GET", "/x")).data == {"ok": 1}
    assert sleep.delays == [0.5]


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("x")]
)
async def test_timeouts_raise_timeout(router, http, exc):
    router.post(f"{CP}/x").mock(side_effect=exc)
    with pytest.raises(errors.Timeout) as caught:
        await Transport(http, CP, max_retries=3).request("POST", "/x", json={})
    assert "cp.test" in caught.value.message


async def test_post_connection_error_is_not_retried(router, transport, sleep):
    route = router.post(f"{CP}/x").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(errors.NetworkError):
        await transport.request("POST", "/x", json={})
    assert route.call_count == 1 and sleep.delays == []


STALE = httpx.RemoteProtocolError("Server disconnected without sending a response.")


async def test_a_stale_pooled_connection_is_sent_once_more_even_for_post(router, http, sleep):
    """llama-server closes a kept-alive connection after a long stream; the next request then fails
    before any reply. It is sent again on a fresh connection, once, with no back-off."""
    transport = Transport(http, CP, token=TOKEN)  # no retries configured
    route = router.post(f"{CP}/x").mock(side_effect=[STALE, httpx.Response(200, json={"ok": True})])
    reply = await transport.request("POST", "/x", json={})
    assert reply.data == {"ok": True} and route.call_count == 2 and sleep.delays == []

    stream = router.post(f"{CP}/s").mock(
        side_effect=[STALE, httpx.Response(200, content=b"data: [DONE]\n\n")]
    )
    async with transport.stream("POST", "/s", json={}) as response:
        assert await response.aread() == b"data: [DONE]\n\n"
    assert stream.call_count == 2

    twice = router.post(f"{CP}/y").mock(side_effect=[STALE, STALE, httpx.Response(200, json={})])
    with pytest.raises(errors.NetworkError, match="without sending a response"):
        await transport.request("POST", "/y", json={})
    assert twice.call_count == 2
    cut = router.post(f"{CP}/z").mock(side_effect=httpx.RemoteProtocolError("peer closed mid-body"))
    with pytest.raises(errors.NetworkError):
        await transport.request("POST", "/z", json={})
    assert cut.call_count == 1  # any other protocol failure: a POST is not sent again


# --- wrapper keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "missing 'pricing'"),
        ({"pricing": None}, "missing 'pricing'"),
        ({"pricing": {}}, "'pricing' should be an array, got object"),
        ([], "expected a JSON object with 'pricing', got array"),
        (None, "got null"),
    ],
)
def test_wrapper_keys_are_mandatory(data, problem):
    with pytest.raises(errors.ProtocolError, match=problem) as caught:
        Reply(data=data, request_id="r1", latency_s=0.0, status=200).field("pricing", list)
    assert caught.value.request_id == "r1"


def test_wrong_item_shape_names_the_field():
    from tm_tui.api.models.inference import ModelCard

    reply = Reply(
        data={"data": [{"id": "a"}, {"object": "model"}]}, request_id=None, latency_s=0.0, status=200
    )
    with pytest.raises(errors.ProtocolError, match=r"data\[1\]\.id: Field required"):
        reply.wrapped_list("data", ModelCard)


def test_ack_requires_the_empty_wrapper():
    Reply(data={"empty": {}}, request_id=None, latency_s=0.0, status=200).ack()
    with pytest.raises(errors.ProtocolError, match="'empty'"):
        Reply(data={}, request_id=None, latency_s=0.0, status=200).ack()


# --- the shared HTTP client ---------------------------------------------------------------------


def test_ca_bundle_must_be_an_existing_regular_file(tmp_path: Path):
    with pytest.raises(errors.ConfigError, match="does not exist"):
        make_http_client(ca_bundle=tmp_path / "missing.pem")
    with pytest.raises(errors.ConfigError, match="not a regular file"):
        make_http_client(ca_bundle=tmp_path)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(errors.ConfigError, match="could not be loaded"):
        make_http_client(ca_bundle=junk)
    with pytest.raises(errors.ConfigError):
        make_http_client(timeout=0)


async def test_valid_ca_bundle_and_default_verification():
    for bundle in (certifi.where(), None):
        client = make_http_client(timeout=3, ca_bundle=bundle)
        assert client.timeout.read == 3
        await client.aclose()


# --- streams ------------------------------------------------------------------------------------


async def test_stream_sends_accept_and_idle_timeout_and_closes(router, http):
    route = router.post(f"{CP}/v1/chat/completions").respond(200, content=b"data: [DONE]\n\n")
    transport = Transport(http, CP, token=TOKEN, timeout=4, stream_idle_timeout=60, max_retries=5)
    async with transport.stream("POST", "/v1/chat/completions", json={"stream": True}) as response:
        assert await response.aread() == b"data: [DONE]\n\n"
    assert response.is_closed
    request = route.calls.last.request
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.extensions["timeout"] == {"connect": 4, "read": 60, "write": 4, "pool": 4}


async def test_stream_error_status_raises_typed_error_and_is_not_retried(router, http, sleep):
    route = router.post(f"{CP}/s").respond(
        429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "1", "x-request-id": "rq"}
    )
    transport = Transport(http, CP, max_retries=3, sleep=sleep)
    with pytest.raises(errors.RateLimited) as caught:
        async with transport.stream("POST", "/s", json={}):
            pytest.fail("the body must not run on an error status")
    assert (caught.value.message, caught.value.retry_after, caught.value.request_id) == (
        "slow down",
        1.0,
        "rq",
    )
    assert route.call_count == 1 and sleep.delays == []


async def test_stream_connect_failure_and_read_timeout(router, http):
    router.post(f"{CP}/down").mock(side_effect=httpx.ConnectError("refused"))
    transport = Transport(http, CP)
    with pytest.raises(errors.NetworkError):
        async with transport.stream("POST", "/down"):
            pass
    router.post(f"{CP}/idle").respond(200, content=b"")
    with pytest.raises(errors.Timeout):
        async with transport.stream("POST", "/idle"):
            raise httpx.ReadTimeout("idle")


# --- body size cap -----------------------------------------------------------------------------------


async def test_a_50_mb_reply_is_refused_without_reading_it_whole(router, transport):
    from tm_tui.api.transport import MAX_BODY_BYTES

    read = []

    async def body():  # no Content-Length: the cap must hold while reading
        for _ in range(50):
            read.append(1)
            yield b"x" * (1024 * 1024)

    router.get(f"{CP}/v1/big").respond(200, stream=_Chunks(body()))
    with pytest.raises(errors.ProtocolError, match="larger than 16 MB"):
        await transport.request("GET", "/v1/big")
    assert len(read) <= MAX_BODY_BYTES // (1024 * 1024) + 1


async def test_a_declared_oversize_reply_is_refused_before_its_body(router, transport):
    router.get(f"{CP}/v1/big").respond(200, headers={"content-length": str(50 * 1024 * 1024)}, content=b"{}")
    with pytest.raises(errors.ProtocolError, match="larger than"):
        await transport.request("GET", "/v1/big")


async def test_a_reply_under_the_cap_still_decodes_gzip(router, transport):
    import gzip

    router.get(f"{CP}/v1/z").respond(
        200, headers={"content-encoding": "gzip"}, content=gzip.compress(b'{"a": 1}')
    )
    assert (await transport.request("GET", "/v1/z")).data == {"a": 1}


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        async for chunk in self.chunks:
            yield chunk


@pytest.mark.parametrize("dropped", [httpx.ReadError("closed"), httpx.ConnectError("refused"), STALE])
async def test_a_side_effect_free_post_is_sent_once_more_after_any_drop(router, http, sleep, dropped):
    """The one resend path also serves side-effect-free POSTs (tokenize): any connection dropped
    before a reply is tried once more, without back-off; a second drop is reported."""
    transport = Transport(http, CP, token=TOKEN)
    route = router.post(f"{CP}/t").mock(side_effect=[dropped, httpx.Response(200, json={"ok": 1})])
    reply = await transport.request("POST", "/t", json={}, side_effect_free=True)
    assert reply.data == {"ok": 1} and route.call_count == 2 and sleep.delays == []
    twice = router.post(f"{CP}/u").mock(side_effect=[dropped, dropped, httpx.Response(200, json={})])
    with pytest.raises(errors.NetworkError):
        await transport.request("POST", "/u", json={}, side_effect_free=True)
    assert twice.call_count == 2


async def test_a_side_effect_free_post_is_not_resent_after_a_timeout(router, http, sleep):
    transport = Transport(http, CP, token=TOKEN)
    route = router.post(f"{CP}/t").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.Timeout):
        await transport.request("POST", "/t", json={}, side_effect_free=True)
    assert route.call_count == 1
