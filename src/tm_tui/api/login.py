"""The `tm` CLI's browser login (a polling "CLI code" flow, reference §7.3) and token refresh.

None of these calls carries a bearer token. The dicts returned are the server's verbatim
replies, to be stored as `auth.json` so the `tm` CLI and tm-tui share one login.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel

from tm_tui.api.errors import LoginError
from tm_tui.api.models.auth import CliLoginStart, TokenSet
from tm_tui.api.transport import (
    DEFAULT_TIMEOUT_S,
    Transport,
    error_message,
    parse_retry_after,
    request_id_of,
    validate_as,
)

DEFAULT_MAX_WAIT_S = 300.0

_FAILURES = {
    400: "The login code was rejected",
    401: "The login was denied",
    403: "The login was denied",
    404: "The login code expired or is unknown",
    410: "The login code expired",
}


@dataclass(frozen=True)
class LoginSession:
    """A started login: show `auth_url` to the user, then `poll_login` until approved."""

    auth_url: str
    cli_code: str = field(repr=False)
    interval: float
    transport: Transport = field(repr=False)


def _failure(response: httpx.Response, what: str) -> LoginError:
    status = response.status_code
    summary = _FAILURES.get(status, f"{what} failed")
    return LoginError(
        f"{summary}: {error_message(response)}", status=status, request_id=request_id_of(response)
    )


def _validated[M: BaseModel](response: httpx.Response, cls: type[M]) -> tuple[Any, M]:
    """The decoded JSON body and its validated model (ProtocolError if it does not fit)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    return data, validate_as(cls, data, request_id_of(response))


async def start_login(
    http_client: httpx.AsyncClient, control_plane_base: str, *, timeout: float = DEFAULT_TIMEOUT_S
) -> LoginSession:
    """`POST /auth/cli/start` (no body) → the URL to open and the code to poll with."""
    transport = Transport(http_client, control_plane_base, timeout=timeout)
    response, _ = await transport.send("POST", "/auth/cli/start")
    if response.status_code != 200:
        raise _failure(response, "Starting the login")
    _, start = _validated(response, CliLoginStart)
    return LoginSession(
        auth_url=start.auth_url, cli_code=start.cli_code, interval=start.interval, transport=transport
    )


async def poll_login(
    session: LoginSession,
    *,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
    on_tick: Callable[[float], object] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll `/auth/cli/exchange` every `interval` s until approved, denied or `max_wait_s` is up.

    `on_tick(seconds_left)` (sync or async) runs before each wait, e.g. for a countdown.
    Cancelling the awaiting task stops the flow at once.
    """
    transport = session.transport
    deadline = clock() + max_wait_s
    while True:
        response, _ = await transport.send("POST", "/auth/cli/exchange", json={"cli_code": session.cli_code})
        status = response.status_code
        if status == 202 or status == 429:
            wait = session.interval
            if status == 429:  # asked to slow down
                wait = max(wait, parse_retry_after(response.headers.get("retry-after")) or 0.0)
        elif 200 <= status < 300:
            tokens, _ = _validated(response, TokenSet)
            return tokens
        else:
            raise _failure(response, "The login")
        left = deadline - clock()
        if left <= 0:
            raise LoginError(f"The login timed out after {max_wait_s:g} s without approval in the browser.")
        if on_tick is not None:
            ticked = on_tick(left)
            if inspect.isawaitable(ticked):
                await ticked
        await sleep(min(wait, left))


async def refresh_tokens(
    http_client: httpx.AsyncClient,
    control_plane_base: str,
    refresh_token: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> dict[str, Any]:
    """`POST /auth/cli/refresh` → the new token dict (it replaces `auth.json` whole).

    Status errors are the usual typed errors (e.g. `AuthError` when the refresh token is dead).
    """
    transport = Transport(http_client, control_plane_base, timeout=timeout)
    reply = await transport.request("POST", "/auth/cli/refresh", json={"refresh_token": refresh_token})
    validate_as(TokenSet, reply.data, reply.request_id)
    return reply.data
