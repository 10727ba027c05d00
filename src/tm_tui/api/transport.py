"""HTTP transport shared by every API client: URLs, headers, retries, error mapping.

One `httpx.AsyncClient` serves the whole app (`make_http_client`); each surface
(control plane, serverless, on-demand) gets its own `Transport` holding its base URL,
credential and retry policy. Nothing here logs headers, query strings or bodies,
because those carry bearer tokens and API keys.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import json as jsonlib
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from tm_tui.api.errors import (
    APIStatusError,
    AuthError,
    BadRequest,
    ConfigError,
    Conflict,
    NetworkError,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_STREAM_IDLE_TIMEOUT_S = 300.0
MAX_RETRY_DELAY_S = 8.0
MAX_MESSAGE_CHARS = 200
# Largest non-streamed reply read (model lists and pages are a few hundred kB at most).
MAX_BODY_BYTES = 16 * 1024 * 1024

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
}

Sleep = Callable[[float], Awaitable[object]]


def make_http_client(
    timeout: float = DEFAULT_TIMEOUT_S, ca_bundle: str | Path | None = None
) -> httpx.AsyncClient:
    """The app-wide HTTP client. TLS verification is always on; `ca_bundle` replaces the trust store."""
    if timeout <= 0:
        raise ConfigError(f"The timeout must be greater than 0 (got {timeout}).")
    return httpx.AsyncClient(timeout=timeout, verify=_ssl_context(ca_bundle))


def _ssl_context(ca_bundle: str | Path | None) -> ssl.SSLContext | bool:
    if ca_bundle is None or str(ca_bundle).strip() == "":
        return True
    path = Path(ca_bundle).expanduser()
    if not path.is_file():
        raise ConfigError(f"CA bundle {str(path)!r} does not exist or is not a regular file.")
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"CA bundle {str(path)!r} could not be loaded: {exc}") from exc


def quote_path(value: object) -> str:
    """Percent-encode one path segment with no safe characters (`/` becomes `%2F`)."""
    return quote(str(value), safe="")


def normalize_base_url(base_url: str) -> str:
    base = (base_url or "").strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"Base URL {base_url!r} is not an http(s) URL.")
    return base


def _query_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Drop `None`; booleans become lower-case `true`/`false` like the `tm` CLI sends."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta seconds or HTTP-date), clamped to 0–8."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_DELAY_S)


def backoff_delay(retry_number: int) -> float:
    """Exponential schedule 0.5, 1, 2, 4, 8, 8, … for retry 1, 2, 3, …"""
    return min(0.5 * 2 ** (retry_number - 1), MAX_RETRY_DELAY_S)


_TAG_RE = re.compile(r"<[^>]*>")
_INVISIBLE_BLOCK_RE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shorten(text: str) -> str:
    text = " ".join(_CONTROL_RE.sub(" ", text).split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return text


def _text_message(text: str) -> str:
    """A short message from a text or HTML body; never the whole page."""
    if "<" in text and ">" in text:
        title = _TITLE_RE.search(text)
        body = _TAG_RE.sub(" ", _INVISIBLE_BLOCK_RE.sub(" ", text))
        text = html.unescape(title.group(1) if title and title.group(1).strip() else body)
    return _shorten(text)


def _json_message(body: Any) -> str | None:
    """Message from OpenAI `{"error": {...}}`, vLLM flat, grpc-gateway or FastAPI shapes."""
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        nested = _json_message(error)
        if nested:
            return nested
    if isinstance(error, str) and error.strip():
        return error
    for key in ("message", "detail", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value
    detail = body.get("detail")
    if isinstance(detail, list):
        parts = [
            item["msg"] for item in detail if isinstance(item, dict) and isinstance(item.get("msg"), str)
        ]
        if parts:
            return "; ".join(parts)
    return None


def decode_error_body(response: httpx.Response) -> Any:
    """The decoded JSON of an error reply, else its (truncated) text, else None."""
    text = response.text
    if not text.strip():
        return None
    try:
        return jsonlib.loads(text)
    except ValueError:
        return text[:4000]


def error_message(response: httpx.Response) -> str:
    """Short, safe, human message for an HTTP error reply (body must have been read)."""
    body = decode_error_body(response)
    message = _json_message(body) if not isinstance(body, str) else None
    if message is None and isinstance(body, str):
        message = _text_message(body)
    message = _shorten(message) if message else ""
    return message or response.reason_phrase or "Request failed"


def request_id_of(response: httpx.Response) -> str | None:
    return response.headers.get("x-request-id") or None


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for a reply with status >= 400 (body must have been read)."""
    status = response.status_code
    kwargs: dict[str, Any] = {
        "status": status,
        "request_id": request_id_of(response),
        "body": decode_error_body(response),
    }
    message = error_message(response)
    if status == 429:
        return RateLimited(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs
        )
    if status >= 500:
        return ServerError(message, **kwargs)
    return _STATUS_ERRORS.get(status, APIStatusError)(message, **kwargs)


def network_error(exc: httpx.TransportError, host: str) -> NetworkError:
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connecting to",
            httpx.ReadTimeout: "waiting for a reply from",
            httpx.WriteTimeout: "sending to",
            httpx.PoolTimeout: "waiting for a free connection to",
        }.get(type(exc), "talking to")
        return Timeout(f"Timed out {kind} {host}.")
    detail = _shorten(str(exc)) or type(exc).__name__
    return NetworkError(f"Could not reach {host}: {detail}")


def _stale_connection(exc: httpx.TransportError) -> bool:
    """A pooled keep-alive connection the server had already closed: the request fails before any
    byte of a reply (seen with llama-server right after a long stream). The server most likely never
    read the request, so it is sent once more, on a fresh connection, even a POST."""
    return isinstance(exc, httpx.RemoteProtocolError) and "without sending a response" in str(exc)


def _worth_resending(exc: httpx.TransportError, *, side_effect_free: bool) -> bool:
    """Whether one more send may help: a stale connection always; for a request that changes nothing
    on the server (`side_effect_free`), any dropped or refused connection too (a dropped keep-alive
    also shows as a read error), but never a timeout: the server is there, just slow."""
    if _stale_connection(exc):
        return True
    return side_effect_free and not isinstance(exc, httpx.TimeoutException)


async def _send_fresh(
    send: Callable[[], Awaitable[httpx.Response]], *, side_effect_free: bool = False
) -> httpx.Response:
    """`send()`, once more if the connection dropped before a reply (see `_worth_resending`).
    The single place where a dropped keep-alive connection is retried."""
    try:
        return await send()
    except httpx.TransportError as exc:
        if not _worth_resending(exc, side_effect_free=side_effect_free):
            raise
        log.debug("connection dropped before a reply (%s); sending once more", type(exc).__name__)
    return await send()


def _is_retryable_network_error(exc: httpx.TransportError) -> bool:
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def protocol_error(problem: str, request_id: str | None) -> ProtocolError:
    return ProtocolError(f"Unexpected reply from the server: {problem}", request_id=request_id)


def validate_as[M: BaseModel](cls: type[M], data: Any, request_id: str | None, *, where: str = "") -> M:
    """Validate wire data as `cls`; a mismatch is a ProtocolError naming the offending field."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join([where, *(str(part) for part in first["loc"])]).strip(".") or "body"
        raise protocol_error(f"{path}: {first['msg']}", request_id) from exc


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(type(value), "number")


@dataclass(frozen=True, slots=True)
class Reply:
    """A decoded 2xx reply: the JSON body plus what a status screen wants to know."""

    data: Any
    request_id: str | None
    latency_s: float
    status: int

    def model[M: BaseModel](self, cls: type[M]) -> M:
        """Validate the whole body as `cls`; a mismatch is a ProtocolError."""
        return validate_as(cls, self.data, self.request_id)

    def field(self, key: str, kind: type[dict] | type[list]) -> Any:
        """A mandatory wrapper key: missing, null or of the wrong JSON type is a ProtocolError."""
        if not isinstance(self.data, dict):
            raise protocol_error(
                f"expected a JSON object with {key!r}, got {_json_kind(self.data)}", self.request_id
            )
        if key not in self.data or self.data[key] is None:
            raise protocol_error(f"missing {key!r}", self.request_id)
        value = self.data[key]
        if not isinstance(value, kind):
            expected = "an object" if kind is dict else "an array"
            raise protocol_error(f"{key!r} should be {expected}, got {_json_kind(value)}", self.request_id)
        return value

    def wrapped[M: BaseModel](self, key: str, cls: type[M]) -> M:
        return validate_as(cls, self.field(key, dict), self.request_id, where=key)

    def wrapped_list[M: BaseModel](self, key: str, cls: type[M]) -> list[M]:
        items = self.field(key, list)
        return [validate_as(cls, item, self.request_id, where=f"{key}[{i}]") for i, item in enumerate(items)]

    def ack(self) -> None:
        """The `{"empty": {}}` acknowledgement most mutations return."""
        self.field("empty", dict)


async def _read_capped(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send and read the whole reply, refusing one larger than MAX_BODY_BYTES: a runaway or hostile
    server cannot fill the memory, and the refusal comes after reading at most the cap."""
    response = await http.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _too_large(response)
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _too_large(response)
    finally:
        await response.aclose()
    # The raw bytes become a fresh response, so httpx decodes any content-encoding exactly once.
    return httpx.Response(
        response.status_code,
        headers=[(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"],
        content=bytes(body),
        request=request,
        extensions=response.extensions,
    )


def _too_large(response: httpx.Response) -> ProtocolError:
    limit = MAX_BODY_BYTES // (1024 * 1024)
    return protocol_error(f"the reply is larger than {limit} MB", request_id_of(response))


class Transport:
    """One API surface: base URL, credential, extra headers, timeouts and retry policy."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT_S,
        max_retries: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if timeout <= 0 or stream_idle_timeout <= 0:
            raise ConfigError("Timeouts must be greater than 0.")
        if max_retries < 0:
            raise ConfigError("max_retries must be 0 or more.")
        self.http = http
        self.base_url = normalize_base_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        self._token = token or None
        self.extra_headers = dict(headers or {})
        self.timeout = timeout
        self.stream_idle_timeout = stream_idle_timeout
        self.max_retries = max_retries
        self._sleep = sleep

    def __repr__(self) -> str:  # never show the credential
        return f"Transport({self.base_url!r}, token={'set' if self._token else 'none'})"

    @property
    def token(self) -> str | None:
        return self._token

    def set_token(self, token: str | None) -> None:
        """Swap the bearer credential (e.g. after a token refresh)."""
        self._token = token or None

    def url(self, path: str) -> str:
        return self.base_url + path

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {**self.extra_headers, **(extra or {})}
        if self._token and not any(name.lower() == "authorization" for name in headers):
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        side_effect_free: bool = False,
    ) -> tuple[httpx.Response, float]:
        """Send with retries; return the final response (any status) and its round-trip time.
        `side_effect_free` marks a POST that changes nothing on the server (tokenize): a connection
        that drops before the reply is then tried once more, like a stale one."""
        method = method.upper()
        retries = self.max_retries if method in IDEMPOTENT_METHODS else 0
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                request = self.http.build_request(
                    method,
                    self.url(path),
                    params=_query_params(params),
                    json=json,
                    headers=self._headers(headers),
                    timeout=self.timeout,
                )
                response = await _send_fresh(
                    partial(_read_capped, self.http, request), side_effect_free=side_effect_free
                )
            except httpx.TransportError as exc:
                log.debug("%s %s attempt %d failed: %s", method, path, attempt, type(exc).__name__)
                if attempt > retries or not _is_retryable_network_error(exc):
                    raise network_error(exc, self.host) from exc
                await self._sleep(backoff_delay(attempt))
                continue
            latency = time.perf_counter() - started
            log.debug(
                "%s %s -> %d in %.0f ms (request id %s)",
                method,
                path,
                response.status_code,
                latency * 1000,
                request_id_of(response),
            )
            if response.status_code not in RETRY_STATUSES or attempt > retries:
                return response, latency
            delay = parse_retry_after(response.headers.get("retry-after"))
            await self._sleep(backoff_delay(attempt) if delay is None else delay)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        side_effect_free: bool = False,
    ) -> Reply:
        """Send, raise the typed error for status >= 400, and decode the JSON body."""
        response, latency = await self.send(
            method, path, params=params, json=json, headers=headers, side_effect_free=side_effect_free
        )
        if response.status_code >= 400:
            raise status_error(response)
        request_id = request_id_of(response)
        text = response.text
        if not text.strip():
            data = None
        else:
            try:
                data = jsonlib.loads(text)
            except ValueError as exc:
                raise protocol_error("the body is not JSON", request_id) from exc
        return Reply(data=data, request_id=request_id, latency_s=latency, status=response.status_code)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Open a server-sent-events response; never retried (but sent once more on a stale
        connection, see `_stale_connection`). Status >= 400 raises the typed error."""
        timeout = httpx.Timeout(
            self.timeout,
            connect=self.timeout,
            read=self.stream_idle_timeout,
            write=self.timeout,
            pool=self.timeout,
        )
        request = self.http.build_request(
            method.upper(),
            self.url(path),
            json=json,
            headers={"Accept": "text/event-stream", **self._headers(headers)},
            timeout=timeout,
        )
        try:
            response = await _send_fresh(lambda: self.http.send(request, stream=True))
        except httpx.TransportError as exc:
            raise network_error(exc, self.host) from exc
        try:
            log.debug(
                "%s %s -> %d (stream, request id %s)",
                method,
                path,
                response.status_code,
                request_id_of(response),
            )
            if response.status_code >= 400:
                try:
                    await response.aread()
                except httpx.TransportError as exc:
                    raise network_error(exc, self.host) from exc
                raise status_error(response)
            try:
                yield response
            except httpx.TransportError as exc:  # a read failure the stream reader let through
                raise network_error(exc, self.host) from exc
        finally:
            await response.aclose()
