"""The CLI's browser login (reference §7.3): start, exchange and refresh, plus the approval page.
These routes take no bearer token; login_page.py holds the flow's logic and HTML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from tm_tui.emulator.control_plane.call import json_object
from tm_tui.emulator.control_plane.errors import ApiError
from tm_tui.emulator.control_plane.store import ControlPlaneStore
from tm_tui.emulator.login_page import (
    POLL_INTERVAL_S,
    Outcome,
    render_approval_page,
    render_result_page,
)

PublicHandler = Callable[[Request, ControlPlaneStore], Awaitable[Response]]


async def cli_start(request: Request, store: ControlPlaneStore) -> Response:
    session = store.login.start()
    auth_url = f"{str(request.base_url).rstrip('/')}/cli-login?code={session.user_code}"
    return JSONResponse({"auth_url": auth_url, "cli_code": session.cli_code, "interval": POLL_INTERVAL_S})


_EXCHANGE_ERRORS = {
    Outcome.DENIED: (403, "login was denied"),
    Outcome.EXPIRED: (410, "login code expired; start again"),
    Outcome.UNKNOWN: (404, "unknown login code"),
}


async def cli_exchange(request: Request, store: ControlPlaneStore) -> Response:
    code = (await json_object(request)).get("cli_code")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "cli_code: value is required")
    outcome, tokens = store.login.exchange(code)
    if tokens is not None:
        return JSONResponse(tokens.body())
    if outcome is Outcome.PENDING:
        return JSONResponse({"status": "pending"}, status_code=202)
    status, message = _EXCHANGE_ERRORS[outcome]
    raise ApiError(status, message)


async def cli_refresh(request: Request, store: ControlPlaneStore) -> Response:
    token = (await json_object(request)).get("refresh_token")
    if not isinstance(token, str) or not token:
        raise ApiError(400, "refresh_token: value is required")
    tokens = store.login.refresh(token)
    if tokens is None:
        raise ApiError(401, "invalid or expired refresh token")
    return JSONResponse(tokens.body())


_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


async def login_page(request: Request, store: ControlPlaneStore) -> Response:
    session = store.login.by_user_code(request.query_params.get("code", ""))
    if session is None:
        page = render_result_page(
            "Link expired", "This sign-in link is unknown or has expired. Run the login again."
        )
        return HTMLResponse(page, status_code=404, headers=_PAGE_HEADERS)
    email = store.data.users[store.state.user_id].get("userEmail", "")
    return HTMLResponse(render_approval_page(session.user_code, email), headers=_PAGE_HEADERS)


async def login_decision(request: Request, store: ControlPlaneStore) -> Response:
    # A plain urlencoded form; parsed by hand so the emulator needs no multipart library.
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    session = store.login.by_user_code(form.get("code", ""))
    decision = form.get("decision")
    if session is None or decision not in ("approve", "deny"):
        page = render_result_page("Link expired", "This sign-in link is unknown, already used or expired.")
        return HTMLResponse(page, status_code=404 if session is None else 400, headers=_PAGE_HEADERS)
    if decision == "approve" and store.approve(session.cli_code):
        page = render_result_page("Signed in", "You can close this tab and return to your terminal.")
    elif decision == "deny" and store.deny(session.cli_code):
        page = render_result_page("Sign-in denied", "The command-line tool will not be signed in.")
    else:
        page = render_result_page("Already decided", "This sign-in request was already answered.")
        return HTMLResponse(page, status_code=409, headers=_PAGE_HEADERS)
    return HTMLResponse(page, headers=_PAGE_HEADERS)


PUBLIC_ROUTES: tuple[tuple[str, str, PublicHandler], ...] = (
    ("POST", "/auth/cli/start", cli_start),
    ("POST", "/auth/cli/exchange", cli_exchange),
    ("POST", "/auth/cli/refresh", cli_refresh),
    ("GET", "/cli-login", login_page),
    ("POST", "/cli-login", login_decision),
)
