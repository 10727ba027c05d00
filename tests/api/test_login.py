"""The `tm` CLI login flow: start, poll (pending → approved / denied / timed out / cancelled), refresh."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.helpers import CP, example, sent_json
from tm_tui.api import errors
from tm_tui.api.login import LoginSession, poll_login, refresh_tokens, start_login

START = example("cli/auth_cli_start.response.json")
TOKENS = example("cli/auth.json")


def pending() -> httpx.Response:
    return httpx.Response(202, json=example("cli/auth_cli_exchange.pending.response.json"))


class FakeTime:
    """A clock that only moves when the flow sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def session(router, http) -> LoginSession:
    router.post(f"{CP}/auth/cli/start").respond(200, json=START)
    return await start_login(http, CP + "/")


async def test_start_sends_no_body_and_no_bearer(router, http):
    route = router.post(f"{CP}/auth/cli/start").respond(200, json=START)
    session = await start_login(http, CP)
    sent = route.calls.last.request
    assert sent.content == b"" and "authorization" not in sent.headers and "content-type" not in sent.headers
    assert (session.auth_url, session.cli_code, session.interval) == (
        START["auth_url"],
        START["cli_code"],
        2.0,
    )
    assert session.cli_code not in repr(session)


@pytest.mark.parametrize("interval", [None, 0, -1])
async def test_start_defaults_a_missing_or_silly_interval(router, http, interval):
    body = {k: v for k, v in START.items() if k != "interval"} | (
        {} if interval is None else {"interval": interval}
    )
    router.post(f"{CP}/auth/cli/start").respond(200, json=body)
    assert (await start_login(http, CP)).interval == 2.0


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.Response(503, text="maintenance"), errors.LoginError),
        (httpx.Response(201, json=START), errors.LoginError),
        (httpx.Response(200, json={"auth_url": "x"}), errors.ProtocolError),
        (httpx.Response(200, text="<html>"), errors.ProtocolError),
    ],
)
async def test_start_failures(router, http, reply, error):
    router.post(f"{CP}/auth/cli/start").mock(return_value=reply)
    with pytest.raises(error):
        await start_login(http, CP)


async def test_pending_then_approved_returns_the_verbatim_reply(router, session, fake_time):
    route = router.post(f"{CP}/auth/cli/exchange").mock(
        side_effect=[pending(), httpx.Response(202), httpx.Response(200, json=TOKENS | {"expires_in": 3600})]
    )
    ticks: list[float] = []
    tokens = await poll_login(session, on_tick=ticks.append, sleep=fake_time.sleep, clock=fake_time.clock)
    assert tokens == TOKENS | {"expires_in": 3600}
    assert route.call_count == 3 and fake_time.sleeps == [2.0, 2.0]
    assert ticks == [300.0, 298.0]
    for call in route.calls:
        assert sent_json(call.request) == example("cli/auth_cli_exchange.request.json")
        assert "authorization" not in call.request.headers


async def test_async_on_tick_is_awaited(router, session, fake_time):
    router.post(f"{CP}/auth/cli/exchange").mock(side_effect=[pending(), httpx.Response(200, json=TOKENS)])
    ticks: list[float] = []

    async def on_tick(left: float) -> None:
        ticks.append(left)

    await poll_login(session, on_tick=on_tick, sleep=fake_time.sleep, clock=fake_time.clock)
    assert ticks == [300.0]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (403, "The login was denied"),
        (400, "rejected"),
        (404, "expired"),
        (410, "expired"),
        (500, "The login failed"),
    ],
)
async def test_failures_are_login_errors(router, session, fake_time, status, text):
    router.post(f"{CP}/auth/cli/exchange").mock(
        side_effect=[
            pending(),
            httpx.Response(status, json={"message": "nope"}, headers={"x-request-id": "rid"}),
        ]
    )
    with pytest.raises(errors.LoginError, match=text) as caught:
        await poll_login(session, sleep=fake_time.sleep, clock=fake_time.clock)
    assert (caught.value.status, caught.value.request_id) == (status, "rid")
    assert "nope" in caught.value.message


async def test_approval_without_an_access_token_is_a_protocol_error(router, session, fake_time):
    router.post(f"{CP}/auth/cli/exchange").respond(200, json={"access_token": ""})
    with pytest.raises(errors.ProtocolError, match="access_token"):
        await poll_login(session, sleep=fake_time.sleep, clock=fake_time.clock)


async def test_times_out(router, session, fake_time):
    route = router.post(f"{CP}/auth/cli/exchange").mock(return_value=pending())
    with pytest.raises(errors.LoginError, match="timed out"):
        await poll_login(session, max_wait_s=5, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.sleeps == [2.0, 2.0, 1.0]  # the last wait is cut to the deadline
    assert route.call_count == 4


async def test_429_slows_the_polling_down(router, session, fake_time):
    router.post(f"{CP}/auth/cli/exchange").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "5"}), httpx.Response(200, json=TOKENS)]
    )
    await poll_login(session, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.sleeps == [5.0]


async def test_cancellation_stops_polling(router, session):
    route = router.post(f"{CP}/auth/cli/exchange").mock(return_value=pending())
    waiting = asyncio.Event()

    async def blocking_sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # never set: only cancellation ends this wait

    task = asyncio.create_task(poll_login(session, sleep=blocking_sleep))
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert route.call_count == 1


async def test_network_failure_while_polling_is_typed(router, session, fake_time):
    router.post(f"{CP}/auth/cli/exchange").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(errors.NetworkError):
        await poll_login(session, sleep=fake_time.sleep, clock=fake_time.clock)


async def test_refresh_tokens(router, http):
    route = router.post(f"{CP}/auth/cli/refresh").respond(
        200, json={"access_token": "new", "refresh_token": "rt2"}
    )
    assert await refresh_tokens(http, CP, "rt_3c9d1e7f2a") == {"access_token": "new", "refresh_token": "rt2"}
    sent = route.calls.last.request
    assert sent_json(sent) == example("cli/auth_cli_refresh.request.json")
    assert "authorization" not in sent.headers


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.Response(401, json={"code": 16, "message": "refresh token revoked"}), errors.AuthError),
        (httpx.Response(200, json={"refresh_token": "only"}), errors.ProtocolError),
        (httpx.Response(200, json=["access_token"]), errors.ProtocolError),
    ],
)
async def test_refresh_failures(router, http, reply, error):
    router.post(f"{CP}/auth/cli/refresh").mock(return_value=reply)
    with pytest.raises(error):
        await refresh_tokens(http, CP, "rt")
