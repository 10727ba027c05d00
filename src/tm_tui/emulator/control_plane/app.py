"""Wires the route modules into one Starlette app, with bearer-token checks and error replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tm_tui.emulator.control_plane import admin, billing, deployments, observability, support, users
from tm_tui.emulator.control_plane.call import Call, Handler
from tm_tui.emulator.control_plane.cli_login import PUBLIC_ROUTES, PublicHandler
from tm_tui.emulator.control_plane.errors import ApiError, error_response, http_error, internal_error
from tm_tui.emulator.control_plane.store import ControlPlaneStore
from tm_tui.emulator.faults import FaultMiddleware
from tm_tui.emulator.http_common import RequestIdMiddleware

Endpoint = Callable[[Request], Awaitable[Response]]

# No two modules serve overlapping paths, so their order here does not matter.
ROUTES = (
    users.ROUTES + billing.ROUTES + support.ROUTES + observability.ROUTES + deployments.ROUTES + admin.ROUTES
)


def _authenticated(store: ControlPlaneStore, handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            return JSONResponse(await handler(Call(request, store, store.authenticate(request))))
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    return endpoint


def _public(store: ControlPlaneStore, handler: PublicHandler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, store)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    return endpoint


def build_control_plane_app(store: ControlPlaneStore) -> Starlette:
    """The control-plane ASGI app. Faults armed in `state.faults` apply under `control_plane`."""
    routes = [
        Route(path, _public(store, handler), methods=[method]) for method, path, handler in PUBLIC_ROUTES
    ]
    routes += [
        Route(path, _authenticated(store, handler), methods=[method]) for method, path, handler in ROUTES
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(FaultMiddleware, registry=store.state.faults, surface="control_plane"),
        ],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
