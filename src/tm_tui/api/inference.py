"""Client for the OpenAI-compatible inference surfaces (serverless and on-demand, reference §3)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tm_tui.api.errors import APIStatusError, AuthError, BadRequest, ConfigError, NotFound
from tm_tui.api.models.inference import (
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionRequest,
    DetokenizeResult,
    Health,
    Message,
    ModelList,
    ResponseRequest,
    ResponseResult,
    TokenizeResult,
    Traced,
    Version,
)
from tm_tui.api.streaming import ChatStream, CompletionStream, ResponseStream
from tm_tui.api.transport import DEFAULT_STREAM_IDLE_TIMEOUT_S, DEFAULT_TIMEOUT_S, Reply, Sleep, Transport
from tm_tui.surface import Surface

_HINTS: dict[tuple[Surface, type[APIStatusError]], str] = {
    (
        Surface.SERVERLESS,
        AuthError,
    ): "Check the inference API key; a control-plane login token does not work here.",
    (Surface.ON_DEMAND, AuthError): "Check the deployment's API key.",
    (Surface.ON_DEMAND, BadRequest): "Check the request and the on-demand user id (X-User-Id).",
    (Surface.ON_DEMAND, NotFound): "Check the model name and the on-demand user id (X-User-Id).",
}


def canonical_user_id(value: str) -> str:
    """A UUID in canonical lower-case hyphenated form, as `X-User-Id` must carry it."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise ConfigError(f"The on-demand user id {value!r} is not a UUID.") from None


type GenerationRequest = ChatCompletionRequest | CompletionRequest | ResponseRequest


def _body(request: GenerationRequest, *, stream: bool) -> dict[str, Any]:
    """The JSON body; `stream` is sent only as `true` (a one-shot call omits it, like the SDK)."""
    body = request.to_wire()
    body.pop("stream", None)
    if stream:
        body["stream"] = True
    return body


class InferenceClient:
    """One inference surface. On-demand sends the canonical `X-User-Id` on every call."""

    def __init__(self, transport: Transport, *, surface: Surface | str, user_id: str | None = None) -> None:
        self.transport = transport
        try:
            self.surface = Surface.parse(surface)
        except ValueError:
            raise ConfigError(f"Unknown inference surface {surface!r}.") from None
        if self.surface == Surface.ON_DEMAND:
            if not user_id:
                raise ConfigError("On-demand inference needs a user id (TENSORMESH_ON_DEMAND_USER_ID).")
            self.user_id: str | None = canonical_user_id(user_id)
        else:
            if user_id:
                raise ConfigError("The serverless surface takes no user id; it is for on-demand only.")
            self.user_id = None

    def _headers(self) -> dict[str, str]:
        return {"X-User-Id": self.user_id} if self.user_id else {}

    def _add_hint(self, exc: APIStatusError) -> None:
        hint = _HINTS.get((self.surface, type(exc)))
        if hint:
            exc.hint = hint

    async def _call(
        self, method: str, path: str, json: Any = None, *, side_effect_free: bool = False
    ) -> Reply:
        try:
            return await self.transport.request(
                method, path, json=json, headers=self._headers(), side_effect_free=side_effect_free
            )
        except APIStatusError as exc:
            self._add_hint(exc)
            raise

    @asynccontextmanager
    async def _open_stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """`Transport.stream` with this surface's headers and error hints (the streams' opener)."""
        try:
            async with self.transport.stream("POST", path, json=body, headers=self._headers()) as response:
                yield response
        except APIStatusError as exc:
            self._add_hint(exc)
            raise

    async def _fetch[T: Traced](self, method: str, path: str, cls: type[T], json: Any = None) -> T:
        reply = await self._call(method, path, json)
        result = reply.model(cls)
        result.traced(reply.request_id, reply.latency_s)
        return result

    # --- one-shot generation ------------------------------------------------------------------

    async def chat(self, request: ChatCompletionRequest) -> ChatCompletion:
        return await self._fetch("POST", "/v1/chat/completions", ChatCompletion, _body(request, stream=False))

    async def completion(self, request: CompletionRequest) -> Completion:
        return await self._fetch("POST", "/v1/completions", Completion, _body(request, stream=False))

    async def response(self, request: ResponseRequest) -> ResponseResult:
        return await self._fetch("POST", "/v1/responses", ResponseResult, _body(request, stream=False))

    # --- streaming (decoded by tm_tui.api.streaming) ---------------------------------------

    def stream_chat(self, request: ChatCompletionRequest) -> ChatStream:
        body = _body(request, stream=True)
        body.setdefault("stream_options", {"include_usage": True})
        return ChatStream(self._open_stream("/v1/chat/completions", body), model=request.model)

    def stream_completion(self, request: CompletionRequest) -> CompletionStream:
        opener = self._open_stream("/v1/completions", _body(request, stream=True))
        return CompletionStream(opener, model=request.model)

    def stream_response(self, request: ResponseRequest) -> ResponseStream:
        opener = self._open_stream("/v1/responses", _body(request, stream=True))
        return ResponseStream(opener, model=request.model)

    # --- models, tokenizer, status ------------------------------------------------------------

    async def models(self) -> ModelList:
        return await self._fetch("GET", "/v1/models", ModelList)

    async def tokenize(
        self,
        model: str,
        *,
        prompt: str | Sequence[str] | None = None,
        messages: Sequence[Message | Mapping[str, Any]] | None = None,
    ) -> TokenizeResult:
        if prompt is None and messages is None:
            raise ValueError("tokenize needs a prompt or messages")
        body: dict[str, Any] = {"model": model}
        if prompt is not None:
            body["prompt"] = prompt if isinstance(prompt, str) else list(prompt)
        if messages is not None:
            body["messages"] = [
                Message.model_validate(m).model_dump(mode="json", exclude_none=True) for m in messages
            ]
        return await self._fetch("POST", "/tokenize", TokenizeResult, body)

    async def detokenize(self, model: str, tokens: Sequence[int]) -> DetokenizeResult:
        return await self._fetch(
            "POST", "/detokenize", DetokenizeResult, {"model": model, "tokens": list(tokens)}
        )

    async def call_json(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        side_effect_free: bool = False,
    ) -> Reply:
        """A call whose reply shape the caller checks: for routes that differ between server kinds
        (see `tm_tui.api.tokenizer`). `side_effect_free`: see `Transport.send`."""
        return await self._call(
            method, path, None if body is None else dict(body), side_effect_free=side_effect_free
        )

    async def health(self) -> Health:
        return await self._fetch("GET", "/health", Health)

    async def version(self) -> Version:
        return await self._fetch("GET", "/version", Version)


def make_inference_client(
    http_client: httpx.AsyncClient,
    base_url: str,
    api_key: str | None,
    surface: Surface | str = Surface.SERVERLESS,
    user_id: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT_S,
    max_retries: int = 0,
    sleep: Sleep = asyncio.sleep,
) -> InferenceClient:
    """An `InferenceClient` on the app's shared HTTP client (the key travels as a bearer token)."""
    transport = Transport(
        http_client,
        base_url,
        token=api_key,
        timeout=timeout,
        stream_idle_timeout=stream_idle_timeout,
        max_retries=max_retries,
        sleep=sleep,
    )
    return InferenceClient(transport, surface=surface, user_id=user_id)
