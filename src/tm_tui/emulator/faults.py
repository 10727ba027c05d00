"""Fault injection for the emulator: a registry of faults and the ASGI middleware that applies them.

Command-line syntax (`parse_fault`)::

    EFFECT[,EFFECT...][@SURFACE[:PATH]][#times=N]

SURFACE is `serverless`, `on_demand`, `control_plane` or `*` (default `*`); PATH is a glob over the
request path (default `*`); `#times=N` limits the fault to N matching requests (default: forever).
EFFECTs (combine freely; K counts generated tokens, default 0):

    latency=S        wait S seconds before handling the request
    first_byte=S     handle the request, then hold the response headers back S seconds
    status=CODE      answer CODE at once with a realistic body (401 403 404 429 500 502 503 ...)
    retry_after=S    Retry-After header for that status (429 defaults to 1)
    reset[=K]        cut the connection after K tokens (non-stream: half-way through the body)
    error[=K]        stream a mid-stream {"error": {...}} event after K tokens and stop (streams only)
    truncate[=K]     end the stream after K tokens with no finish chunk and no [DONE]
                     (non-stream: the body is cut half-way, with a matching Content-Length)
    malformed[=K]    a 2xx body that is not valid JSON / one broken SSE chunk after K tokens
    oversize[=BYTES] add a `padding` field of BYTES (default 5 MB) to the body / one chunk
    bad_utf8[=K]     invalid UTF-8 bytes inside the content
    markup[=K]       content carrying console markup and terminal escape sequences (OSC 52, CSI);
                     with status=CODE the error message carries them
    stall[=K]        streams: go silent after K tokens, connection kept open (a stream idle timeout)
    wrong_types      a 2xx JSON body whose values all have the wrong type (every leaf becomes a list)
    missing_keys     a 2xx JSON body without its wrapper keys (`{}`)
    method=M         only requests with HTTP method M

Example: `status=503,retry_after=2@serverless:/v1/chat/completions#times=1`.

Stream-level effects need the stream writer's cooperation (`streaming.py` reads the matched faults
from the ASGI scope via `faults_in_scope`); the middleware applies the rest to any JSON response,
so it works unchanged around the control-plane app.
"""

from __future__ import annotations

import asyncio
import builtins
import fnmatch
import json
import threading
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

# Called through this module's name so tests can pin the ids of canned errors (tests/tui patch it).
from tm_tui.emulator.http_common import grpc_error, new_request_id, openai_error

Scope = MutableMapping[str, Any]
Message = dict[str, Any]

SURFACES = ("serverless", "on_demand", "control_plane", "*")
SCOPE_KEY = "tm_emulator.faults"
DEFAULT_OVERSIZE_BYTES = 5 * 1024 * 1024

# Text a client must never interpret: Rich/Textual markup (style, link, click action), CSI colour, OSC 8
# hyperlink, OSC 52 clipboard, OSC 0 title, a bidi override and zero-width characters.
HOSTILE_TEXT = (
    " [bold red]ALERT[/bold red] [link=https://evil.example/]click me[/link] [@click=app.quit]quit[/]"
    " \x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
    " \x1b]52;c;cGF3bmVk\x07 \x1b]0;pwned\x07 \u202eexe.txt\u202c zero\u200bwidth\ufeff "
)
# A noncharacter stands in for the invalid bytes until the JSON is encoded (json cannot emit them).
_BAD_UTF8_MARK = "\uffff"
BAD_UTF8_BYTES = b"\xff\xfe\xc3("
# Keys whose string values are human-readable text worth poisoning (never ids or URLs).
TEXT_KEYS = frozenset(
    {
        "content",
        "text",
        "delta",
        "reasoning",
        "message",
        "name",
        "displayName",
        "description",
        "subject",
        "title",
        "modelName",  # deployment names
        "log",  # deployment events
        "userName",  # ticket replies
        "actorDisplay",  # activity entries
        "token_strs",  # tokenizer pieces (a list of strings)
        "version",  # the server's /version
    }
)


class InjectedReset(Exception):
    """Raised inside a response body so the server drops the connection mid-response."""


@dataclass
class Fault:
    surface: str = "*"
    path: str = "*"
    method: str | None = None
    times: int | None = None  # remaining occurrences; None = unlimited
    latency: float | None = None
    first_byte: float | None = None
    status: int | None = None
    retry_after: float | None = None
    reset: int | None = None
    error: int | None = None
    truncate: int | None = None
    malformed: int | None = None
    oversize: int | None = None
    bad_utf8: int | None = None
    markup: int | None = None
    stall: int | None = None
    wrong_types: int | None = None
    missing_keys: int | None = None
    id: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ValueError(f"unknown surface {self.surface!r}; expected one of {', '.join(SURFACES)}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.method:
            self.method = self.method.upper()

    def applies_to(self, surface: str, method: str, path: str) -> bool:
        return (
            self.surface in ("*", surface)
            and (self.method is None or self.method == method.upper())
            and fnmatch.fnmatchcase(path, self.path)
        )

    def spec(self) -> str:
        """The `parse_fault` string for this fault."""
        effects = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _EFFECTS and value is not None:
                effects.append(f"{f.name}={_fmt(value)}")
        if self.method:
            effects.append(f"method={self.method}")
        text = ",".join(effects) + f"@{self.surface}:{self.path}"
        return text + (f"#times={self.times}" if self.times is not None else "")


_FLOAT_EFFECTS = ("latency", "first_byte", "retry_after")
_INT_EFFECTS = (
    "status", "reset", "error", "truncate", "malformed", "oversize", "bad_utf8", "markup",
    "stall", "wrong_types", "missing_keys",
)  # fmt: skip
_EFFECTS = _FLOAT_EFFECTS + _INT_EFFECTS
# Effects that may be written bare (`malformed`) and the value they then take.
_BARE_DEFAULTS = {
    **dict.fromkeys(
        (
            "reset",
            "error",
            "truncate",
            "malformed",
            "bad_utf8",
            "markup",
            "stall",
            "wrong_types",
            "missing_keys",
        ),
        0,
    ),
    "oversize": DEFAULT_OVERSIZE_BYTES,
}


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_fault(spec: str) -> Fault:
    """Parse the command-line syntax described in the module docstring."""
    text, _, times_part = spec.strip().partition("#")
    effects_part, _, where = text.partition("@")
    kwargs: dict[str, Any] = {}
    if where:
        surface, _, path = where.partition(":")
        kwargs["surface"] = surface.strip() or "*"
        kwargs["path"] = path.strip() or "*"
    if times_part:
        key, _, value = times_part.partition("=")
        if key.strip() != "times":
            raise ValueError(f"expected '#times=N', got {'#' + times_part!r}")
        kwargs["times"] = int(value)
    for item in filter(None, (p.strip() for p in effects_part.split(","))):
        key, has_value, value = (s.strip() for s in item.partition("="))
        if key == "method":
            kwargs["method"] = value
        elif key in _FLOAT_EFFECTS:
            kwargs[key] = float(value)
        elif key in _INT_EFFECTS and has_value:
            kwargs[key] = int(value)
        elif key in _BARE_DEFAULTS:
            kwargs[key] = _BARE_DEFAULTS[key]
        else:
            raise ValueError(f"unknown or incomplete fault effect {item!r}")
    if not any(k in _EFFECTS for k in kwargs):
        raise ValueError(f"fault {spec!r} has no effect")
    return Fault(**kwargs)


class FaultRegistry:
    """The faults currently armed. Thread-safe: tests arm faults from outside the server's loop."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault | str) -> Fault:
        if isinstance(fault, str):
            fault = parse_fault(fault)
        with self._lock:
            fault = replace(fault, id=self._next_id)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return [replace(f) for f in self._faults]

    def match(self, surface: str, method: str, path: str) -> builtins.list[Fault]:  # `list` is a method here
        """The faults that apply to this request; each use counts against its `times`."""
        with self._lock:
            matched = [f for f in self._faults if f.applies_to(surface, method, path)]
            snapshot = [replace(f) for f in matched]  # as armed, before this use is counted
            for fault in matched:
                if fault.times is not None:
                    fault.times -= 1
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
            return snapshot


@dataclass
class FaultContext:
    """The faults matched for one request, as the app and the stream writer see them."""

    faults: list[Fault]

    def first(self, effect: str) -> Any:
        return next((getattr(f, effect) for f in self.faults if getattr(f, effect) is not None), None)


def faults_in_scope(scope: Scope) -> FaultContext:
    ctx = scope.get(SCOPE_KEY)
    return ctx if isinstance(ctx, FaultContext) else FaultContext([])


# ---- content poisoning shared by the middleware and the stream writer ----


def poison_text(obj: Any, suffix: str) -> tuple[Any, bool]:
    """Append `suffix` to every text-like string value in a JSON tree; report whether any was found."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        hit = False
        for key, value in obj.items():
            if key in TEXT_KEYS and isinstance(value, str):
                out[key], hit = value + suffix, True
            elif (
                key in TEXT_KEYS
                and isinstance(value, list)
                and value
                and all(isinstance(v, str) for v in value)
            ):
                out[key], hit = [v + suffix for v in value], True
            else:
                out[key], sub = poison_text(value, suffix)
                hit = hit or sub
        return out, hit
    if isinstance(obj, list):
        items = [poison_text(v, suffix) for v in obj]
        return [v for v, _ in items], any(h for _, h in items)
    return obj, False


def encode_json(
    obj: Any, *, bad_utf8: bool = False, markup: bool = False, padding: int | None = None
) -> bytes:
    """Serialise a JSON reply, optionally poisoned: hostile text, invalid UTF-8, an oversized field."""
    if markup:
        obj, _ = poison_text(obj, HOSTILE_TEXT)
    if bad_utf8:
        obj, _ = poison_text(obj, _BAD_UTF8_MARK)
    if padding and isinstance(obj, dict):
        obj = {**obj, "padding": "x" * padding}
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return data.replace(_BAD_UTF8_MARK.encode(), BAD_UTF8_BYTES) if bad_utf8 else data


def retype(obj: Any) -> Any:
    """The same JSON tree with every leaf replaced by a value of the wrong type (a list)."""
    if isinstance(obj, dict):
        return {key: retype(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [retype(value) for value in obj]
    return [obj]


def break_json(data: bytes) -> bytes:
    """A 2xx body that looks like JSON but does not parse."""
    return data[: max(1, len(data) // 2)] + b'"}{,'


# ---- canned error responses ----

_STATUS_TEXT = {
    400: ("Bad Request", "invalid_request_error"),
    401: ("Invalid API key.", "authentication_error"),
    403: ("You do not have permission to access this resource.", "permission_error"),
    404: ("The requested resource was not found.", "not_found_error"),
    409: ("The resource already exists.", "conflict_error"),
    429: ("Rate limit exceeded. Retry later.", "rate_limit_error"),
    500: ("Internal server error.", "server_error"),
    503: ("The service is temporarily unavailable. Please retry.", "service_unavailable"),
    504: ("Upstream request timed out.", "timeout_error"),
}
_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def status_response(
    status: int, surface: str, retry_after: float | None
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of a canned error, shaped like the surface's real errors."""
    if status == 502:
        content_type, body = b"text/html", _BAD_GATEWAY_HTML
    else:
        message, kind = _STATUS_TEXT.get(status, (f"HTTP {status}", "server_error"))
        if surface == "control_plane":
            payload = grpc_error(status, message)
        else:
            payload = openai_error(message, kind, "invalid_api_key" if status == 401 else status)
        content_type, body = b"application/json", json.dumps(payload).encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if retry_after is None and status == 429:
        retry_after = 1
    if retry_after is not None:
        headers.append((b"retry-after", _fmt(retry_after).encode()))
    headers.append((b"x-request-id", new_request_id().encode()))
    return headers, body


def _poisoned_error(
    headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    try:
        body = encode_json(json.loads(body), markup=True)
    except ValueError:  # the 502 HTML page
        body += HOSTILE_TEXT.encode()
    headers = [(k, v) for k, v in headers if k != b"content-length"]
    return [(b"content-length", str(len(body)).encode()), *headers], body


# ---- the middleware ----


class FaultMiddleware:
    """Pure ASGI middleware applying the registry's faults to one surface's HTTP requests."""

    def __init__(self, app: Any, *, registry: FaultRegistry, surface: str) -> None:
        self.app = app
        self.registry = registry
        self.surface = surface

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        # An outer FaultMiddleware already matched this request: faults must not apply twice.
        if scope["type"] != "http" or SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        ctx = FaultContext(self.registry.match(self.surface, scope["method"], scope["path"]))
        scope[SCOPE_KEY] = ctx
        if not ctx.faults:
            await self.app(scope, receive, send)
            return
        if latency := ctx.first("latency"):
            await asyncio.sleep(latency)
        if status := ctx.first("status"):
            headers, body = status_response(status, self.surface, ctx.first("retry_after"))
            if ctx.first("markup") is not None:  # an error message carrying the hostile text
                headers, body = _poisoned_error(headers, body)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, _FaultySend(send, ctx))


class _FaultySend:
    """Wraps `send`: delays the first byte and rewrites buffered non-SSE bodies."""

    def __init__(self, send: Any, ctx: FaultContext) -> None:
        self.send = send
        self.ctx = ctx
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.passthrough = True

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if first_byte := self.ctx.first("first_byte"):
                await asyncio.sleep(first_byte)
            headers = dict(message.get("headers", []))
            is_sse = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            self.passthrough = is_sse or not self._rewrites_body()
            if self.passthrough:
                await self.send(message)
            else:
                self.start = message
            return
        if self.passthrough or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._send_rewritten(b"".join(self.chunks))

    def _rewrites_body(self) -> bool:
        effects = (
            "reset",
            "truncate",
            "malformed",
            "oversize",
            "bad_utf8",
            "markup",
            "wrong_types",
            "missing_keys",
        )
        return any(self.ctx.first(e) is not None for e in effects)

    async def _send_rewritten(self, body: bytes) -> None:
        assert self.start is not None
        ctx = self.ctx
        try:
            obj = json.loads(body)
        except ValueError:
            obj = None
        if obj is not None and ctx.first("missing_keys") is not None:
            obj = {}
        elif obj is not None and ctx.first("wrong_types") is not None:
            obj = retype(obj)
        if obj is not None and any(ctx.first(e) is not None for e in ("oversize", "bad_utf8", "markup")):
            body = encode_json(
                obj,
                bad_utf8=ctx.first("bad_utf8") is not None,
                markup=ctx.first("markup") is not None,
                padding=ctx.first("oversize"),
            )
        elif obj is not None and any(ctx.first(e) is not None for e in ("missing_keys", "wrong_types")):
            body = encode_json(obj)
        if ctx.first("malformed") is not None or ctx.first("truncate") is not None:
            body = break_json(body)
        headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        if ctx.first("reset") is not None:
            # Declared length is the full body; sending half then failing leaves the client cut off.
            await self.send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise InjectedReset("fault injection: connection reset mid-body")
        await self.send({"type": "http.response.body", "body": body})
