"""Control-plane error replies, shaped as grpc-gateway sends them: `{"code", "message", "details": []}`."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tm_tui.emulator.http_common import grpc_error


class ApiError(Exception):
    """Raised by handlers; the app turns it into an error reply with this HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(grpc_error(status, message), status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405s, in the same shape as every other error."""
    assert isinstance(exc, HTTPException)
    message = "method not allowed" if exc.status_code == 405 else f"no route for {request.url.path}"
    return error_response(exc.status_code, message, headers=exc.headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal error")
