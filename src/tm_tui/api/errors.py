"""Typed errors raised by the API layer.

Every error carries a short human message (safe to show: it never contains secrets or
raw tracebacks), the HTTP status when there was one, and the server's request id.
Screens show `str(error)`; `hint` says what the user can do next.
"""

from __future__ import annotations


class TmError(Exception):
    """Base of every error the API layer raises."""

    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.hint = hint if hint is not None else self.default_hint
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.insert(0, f"HTTP {self.status}:")
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)


class ConfigError(TmError):
    """Local settings are missing or invalid; nothing was sent."""


class APIStatusError(TmError):
    """The server answered with an HTTP status >= 400 not covered by a subclass."""


class BadRequest(APIStatusError):
    default_hint = "The server rejected the request; check the parameters."


class ValidationFailed(BadRequest):
    """422: the request body did not validate."""


class AuthError(APIStatusError):
    default_hint = "Log in again or check the API key."


class PermissionDenied(APIStatusError):
    default_hint = "Your account is not allowed to do this."


class NotFound(APIStatusError):
    default_hint = "It does not exist or is not visible to you."


class Conflict(APIStatusError):
    pass


class RateLimited(APIStatusError):
    default_hint = "Too many requests; wait and retry."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    default_hint = "The service had a problem; retry in a moment."


class ProtocolError(TmError):
    """A 2xx reply whose body is not what the wire protocol promises."""

    default_hint = "The server sent an unexpected reply."


class StreamError(TmError):
    """A stream failed part-way (bad event, `{"error": ...}` event, cut connection).

    `partial_text` / `partial_reasoning` hold what had arrived, so nothing is lost.
    """

    def __init__(self, message: str, *, partial_text: str = "", partial_reasoning: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.partial_text = partial_text
        self.partial_reasoning = partial_reasoning


class NetworkError(TmError):
    default_hint = "Check the base URL and your connection."


class Timeout(NetworkError):
    default_hint = "The server took too long; retry or raise the timeout."


class LoginError(TmError):
    """The browser login flow failed, was denied, timed out or was cancelled."""
