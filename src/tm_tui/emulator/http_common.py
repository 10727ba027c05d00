"""HTTP plumbing shared by the emulator's inference hosts and its control plane.

Request ids, bearer-token parsing, and the two error-body shapes the real service uses: OpenAI-style
`{"error": {...}}` on the inference hosts, grpc-gateway's `{"code", "message", "details"}` on the
control plane (with the gRPC code that grpc-gateway maps from the HTTP status).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

# No starlette import: fault specs (and so the TUI, via state.py) load this module.
# HTTP status -> gRPC status code, as grpc-gateway maps them; anything else is UNKNOWN (2).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 410: 9, 429: 8, 500: 13, 503: 14, 504: 4}


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:16]}"


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def openai_error(message: str, kind: str, code: str | int, param: str | None = None) -> dict[str, Any]:
    """An inference-host error body."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if param is not None:
        error["param"] = param
    return {"error": error}


def grpc_error(status: int, message: str) -> dict[str, Any]:
    """A control-plane error body."""
    return {"code": GRPC_CODES.get(status, 2), "message": message, "details": []}


class RequestIdMiddleware:
    """Adds `x-request-id` to every reply that lacks one."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", new_request_id().encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
