"""The emulator's OpenAI-compatible inference surfaces (serverless and on-demand), as a Starlette app.

Routes sit at the host root like the real hosts: /v1/chat/completions, /v1/completions, /v1/responses,
/v1/models, /tokenize, /detokenize, /health, /version. Usage numbers always agree with tokenizer.py,
and every reply carries an `x-request-id`.
"""

from __future__ import annotations

import itertools
import time
import uuid
from array import array
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS
from tm_tui.emulator.faults import FaultMiddleware, faults_in_scope
from tm_tui.emulator.http_common import RequestIdMiddleware, bearer_token, openai_error
from tm_tui.emulator.state import EmulatorState
from tm_tui.emulator.stream_watch import StreamWatch
from tm_tui.emulator.streaming import DONE, STREAM_HEADERS, Pacer, SSEEvent, batches, write_sse
from tm_tui.emulator.textgen import Generation, generate_chat, generate_completion
from tm_tui.emulator.tokenizer import Tokenizer, UnknownToken, chat_prompt, tokenizer_for

Surface = Literal["serverless", "on_demand"]

SERVER_VERSION = "0.11.2"
MODEL_CREATED = 1767000000
ON_DEMAND_CONTEXT = 32_768
CACHE_BLOCK = 16  # KV-cache block size: cached prefixes are counted in whole blocks
CACHE_PROMPTS = 32  # recent prompts remembered per model (and cache isolation key)
MAX_CHOICES = 8


@dataclass(frozen=True)
class ServedModel:
    name: str
    context_length: int
    reasoning: bool = False
    think_tags: bool = False


def served_models(surface: Surface) -> list[ServedModel]:
    if surface == "on_demand":
        return [ServedModel(name, ON_DEMAND_CONTEXT) for name in ON_DEMAND_MODELS]
    return [
        ServedModel(m.name, m.context_length, m.reasoning, m.think_tags)
        for m in SERVERLESS_MODELS
        if m.active
    ]


# ---- errors ----


class APIError(Exception):
    """An error reply; handlers raise it and the app turns it into JSON."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


def api_error(status: int, message: str, kind: str, code: str | int, param: str | None = None) -> APIError:
    return APIError(status, openai_error(message, kind, code, param))


def invalid_body(message: str, param: str | None = None) -> APIError:
    # vLLM's flat validation error (examples/errors/inference_422.response.json).
    return APIError(
        422, {"object": "error", "message": message, "type": "BadRequestError", "param": param, "code": 422}
    )


async def _api_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return JSONResponse(exc.payload, status_code=exc.status)


async def _http_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    return JSONResponse(
        openai_error(exc.detail, kind, exc.status_code), status_code=exc.status_code, headers=exc.headers
    )


# ---- request body helpers (liberal: unknown keys are ignored) ----


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise invalid_body(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise invalid_body("The request body must be a JSON object.")
    return body


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_body(f"Field required: {name} must be a non-empty string.", name)
    return value


def _optional_int(body: Mapping[str, Any], *names: str, minimum: int = 1) -> int | None:
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_body(f"{name} must be an integer, got {value!r}.", name)
        if value < minimum:
            raise invalid_body(f"{name} must be at least {minimum}, got {value}.", name)
        return value
    return None


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid_body(f"{name} must be a boolean.", name)
    return bool(value)


def _stop(body: Mapping[str, Any]) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return stop
    raise invalid_body("stop must be a string or a list of strings.", "stop")


def _include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and bool(options.get("include_usage"))


def _messages(value: Any, param: str = "messages") -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise invalid_body(f"{param} must be a non-empty list of messages.", param)
    for message in value:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid_body(f"each entry of {param} must be an object with a string 'role'.", param)
    return value


def _tools(body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """`tools` in chat form ({type, function: {...}}), also from the Responses and legacy shapes."""
    raw = body.get("tools")
    if raw is None and isinstance(body.get("functions"), list):
        raw = [{"type": "function", "function": f} for f in body["functions"]]
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise invalid_body("tools must be a list of objects.", "tools")
    return [t if "function" in t else {"type": "function", "function": t} for t in raw]


def _tool_choice(body: Mapping[str, Any]) -> Any:
    choice = body.get("tool_choice", body.get("function_call"))
    return {"name": choice["name"]} if isinstance(choice, Mapping) and "function" not in choice else choice


# ---- the KV-cache model ----


def _common_prefix(a: bytes, b: bytes) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search keeps the comparisons in C
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class PromptCache:
    """Remembers recent prompts per (model, isolation key); a hit is the longest shared prefix in blocks."""

    def __init__(self) -> None:
        self._prompts: dict[tuple[str, str | None], deque[bytes]] = {}

    def lookup_and_store(self, key: tuple[str, str | None], ids: Sequence[int]) -> int:
        data = array("I", ids).tobytes()
        prompts = self._prompts.setdefault(key, deque(maxlen=CACHE_PROMPTS))
        longest = max((_common_prefix(data, seen) for seen in prompts), default=0) // 4
        if data in prompts:
            prompts.remove(data)
        prompts.append(data)
        # The last prompt token is always recomputed, as in vLLM.
        return min(longest, len(ids) - 1) // CACHE_BLOCK * CACHE_BLOCK if ids else 0


# ---- one request's bookkeeping ----


@dataclass
class Turn:
    """What every reply to one generation request shares."""

    id: str
    model: ServedModel
    tok: Tokenizer
    prompt_ids: list[int]
    cached: int
    pacer: Pacer
    return_token_ids: bool
    perf: bool
    created: int = field(default_factory=lambda: int(time.time()))

    def usage(self, gens: Sequence[Generation]) -> dict[str, Any]:
        completion = sum(g.completion_tokens for g in gens)
        usage: dict[str, Any] = {
            "prompt_tokens": len(self.prompt_ids),
            "completion_tokens": completion,
            "total_tokens": len(self.prompt_ids) + completion,
            "prompt_tokens_details": {"cached_tokens": self.cached},
        }
        if self.model.reasoning:
            reasoning = sum(g.reasoning_tokens for g in gens)
            usage["reasoning_tokens"] = reasoning
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return usage

    def perf_metrics(self, gens: Sequence[Generation]) -> dict[str, Any]:
        return self.pacer.metrics(
            prompt_tokens=len(self.prompt_ids),
            cached_tokens=self.cached,
            completion_tokens=sum(g.completion_tokens for g in gens),
        )

    def deltas(self, text: str) -> Iterator[tuple[str, int, list[int]]]:
        """`text` as stream deltas: (text, token count, token ids)."""
        ids = self.tok.encode(text)
        pos = 0
        for piece, n in batches(self.tok.pieces(text), self.pacer.tokens_per_chunk):
            yield piece, n, ids[pos : pos + n]
            pos += n

    def completion_ids(self, gen: Generation) -> list[int]:
        parts = [gen.reasoning, gen.content or ""]
        parts += [s for call in gen.tool_calls for s in (call.name, call.arguments)]
        return [i for part in parts for i in self.tok.encode(part)]


def _stream(events: AsyncIterator[SSEEvent], request: Request) -> StreamingResponse:
    return StreamingResponse(
        write_sse(events, faults_in_scope(request.scope)),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


# ---- the app ----


class InferenceHandlers:
    def __init__(self, state: EmulatorState, surface: Surface) -> None:
        self.state = state
        self.surface = surface
        self.cache = PromptCache()

    # -- access --

    def check_access(self, request: Request, *, public: bool = False) -> None:
        key = bearer_token(request.headers)
        # The serverless host's public routes answer anonymous callers, but still check a sent key.
        if not (public and self.surface == "serverless" and not request.headers.get("authorization")):
            if not key:
                raise api_error(
                    401,
                    "Missing API key: send 'Authorization: Bearer <key>'.",
                    "authentication_error",
                    "invalid_api_key",
                )
            if not self.state.is_valid_inference_key(key):
                raise api_error(401, "Invalid API key.", "authentication_error", "invalid_api_key")
        if self.surface == "on_demand":
            self._check_user(request.headers.get("x-user-id"))

    def _check_user(self, raw: str | None) -> None:
        try:
            user = uuid.UUID((raw or "").strip())
        except ValueError:
            raise api_error(
                400,
                "The X-User-Id header is required and must be a UUID.",
                "invalid_request_error",
                "invalid_user_id",
            ) from None
        if user != uuid.UUID(self.state.user_id):
            raise api_error(404, "No deployments found for this user.", "not_found_error", "user_not_found")

    def model(self, body: Mapping[str, Any]) -> ServedModel:
        name = _string(body, "model")
        found = next((m for m in served_models(self.surface) if m.name == name), None)
        if found is None:
            raise api_error(
                404,
                f"The model `{name}` does not exist.",
                "invalid_request_error",
                "model_not_found",
                "model",
            )
        return found

    def turn(
        self, body: Mapping[str, Any], model: ServedModel, prompt_ids: list[int], *, prefix: str
    ) -> Turn:
        cache_key = (model.name, body.get("prompt_cache_isolation_key"))
        cached = self.cache.lookup_and_store(cache_key, prompt_ids)
        return Turn(
            id=f"{prefix}{uuid.uuid4().hex[:16]}",
            model=model,
            tok=tokenizer_for(model.name, model.context_length),
            prompt_ids=prompt_ids,
            cached=cached,
            pacer=Pacer(self.state.pacing, cached / len(prompt_ids) if prompt_ids else 0.0),
            return_token_ids=_flag(body, "return_token_ids"),
            perf=_flag(body, "perf_metrics_in_response"),
        )

    # -- simple routes --

    async def health(self, request: Request) -> Response:
        self.check_access(request, public=True)
        return JSONResponse({"status": "ok"})

    async def version(self, request: Request) -> Response:
        self.check_access(request, public=True)
        return JSONResponse({"version": SERVER_VERSION})

    async def models(self, request: Request) -> Response:
        self.check_access(request, public=True)
        data = [
            {
                "id": m.name,
                "object": "model",
                "created": MODEL_CREATED,
                "owned_by": "tensormesh",
                "root": m.name,
                "parent": None,
                "max_model_len": m.context_length,
            }
            for m in served_models(self.surface)
        ]
        return JSONResponse({"object": "list", "data": data})

    async def tokenize(self, request: Request) -> Response:
        self.check_access(request)
        body = await _json_body(request)
        model = self.model(body)
        tok = tokenizer_for(model.name, model.context_length)
        if body.get("messages") is not None:
            add_prompt = body.get("add_generation_prompt", True) is not False
            text = chat_prompt(_messages(body["messages"]), _tools(body), add_generation_prompt=add_prompt)
        elif isinstance(body.get("prompt"), str):
            text = body["prompt"]
        elif isinstance(body.get("prompt"), list) and all(isinstance(p, str) for p in body["prompt"]):
            text = "".join(body["prompt"])
        else:
            raise invalid_body("Either prompt (string) or messages is required.", "prompt")
        ids = tok.encode(text)
        return JSONResponse(
            {
                "tokens": ids,
                "count": len(ids),
                "max_model_len": model.context_length,
                "token_strs": tok.token_strs(ids),
            }
        )

    async def detokenize(self, request: Request) -> Response:
        self.check_access(request)
        body = await _json_body(request)
        model = self.model(body)
        tokens = body.get("tokens")
        if not isinstance(tokens, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in tokens
        ):
            raise invalid_body("tokens must be a list of integers.", "tokens")
        try:
            text = tokenizer_for(model.name, model.context_length).decode(tokens)
        except UnknownToken as exc:
            raise api_error(400, str(exc), "invalid_request_error", "invalid_token", "tokens") from None
        return JSONResponse({"prompt": text})

    # -- generation --

    def _budget(self, body: Mapping[str, Any], model: ServedModel, prompt_tokens: int, *names: str) -> int:
        requested = _optional_int(body, *names)
        total = prompt_tokens + (requested or 0)
        if prompt_tokens >= model.context_length or total > model.context_length:
            detail = f" ({prompt_tokens} in the messages, {requested} in the completion)" if requested else ""
            raise api_error(
                400,
                f"This model's maximum context length is {model.context_length} tokens. However, you requested "
                f"{total} tokens{detail}. Please reduce the length of the messages or completion.",
                "invalid_request_error",
                "context_length_exceeded",
                "messages",
            )
        return requested or model.context_length - prompt_tokens

    async def chat(self, request: Request) -> Response:
        self.check_access(request)
        body = await _json_body(request)
        model = self.model(body)
        messages = _messages(body.get("messages"))
        tools = _tools(body)
        tok = tokenizer_for(model.name, model.context_length)
        prompt_ids = tok.encode(chat_prompt(messages, tools))
        budget = self._budget(body, model, len(prompt_ids), "max_completion_tokens", "max_tokens")
        n = min(_optional_int(body, "n") or 1, MAX_CHOICES)
        stop, stream = _stop(body), _flag(body, "stream")
        turn = self.turn(body, model, prompt_ids, prefix="chatcmpl-")
        fmt = body.get("response_format")
        gens = [
            generate_chat(
                tok,
                messages=messages,
                reasoning=model.reasoning,
                think_tags=model.think_tags,
                max_tokens=budget,
                stop=stop,
                tools=tools,
                tool_choice=_tool_choice(body),
                parallel_tool_calls=body.get("parallel_tool_calls") is not False,
                json_mode=isinstance(fmt, Mapping) and fmt.get("type") in ("json_object", "json_schema"),
                seed=body.get("seed"),
                index=i,
            )
            for i in range(n)
        ]
        if stream:
            return _stream(self._chat_events(turn, gens, include_usage=_include_usage(body)), request)
        await turn.pacer.tokens(sum(g.completion_tokens for g in gens))
        reply: dict[str, Any] = {
            "id": turn.id,
            "object": "chat.completion",
            "created": turn.created,
            "model": model.name,
            "choices": [self._chat_choice(turn, i, g) for i, g in enumerate(gens)],
            "usage": turn.usage(gens),
        }
        if turn.return_token_ids:
            reply["prompt_token_ids"] = turn.prompt_ids
        if turn.perf:
            reply["perf_metrics"] = turn.perf_metrics(gens)
        return JSONResponse(reply)

    def _chat_choice(self, turn: Turn, index: int, gen: Generation) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": gen.content}
        if gen.reasoning:
            message["reasoning"] = gen.reasoning
        if gen.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in gen.tool_calls
            ]
        choice = {
            "index": index,
            "message": message,
            "finish_reason": gen.finish_reason,
            "stop_reason": gen.stop_reason,
            "logprobs": None,
        }
        if turn.return_token_ids:
            choice["token_ids"] = turn.completion_ids(gen)
        return choice

    async def _chat_events(
        self, turn: Turn, gens: list[Generation], *, include_usage: bool
    ) -> AsyncIterator[SSEEvent]:
        def chunk(
            index: int, delta: dict[str, Any], *, tokens: int = 0, ids: list[int] | None = None
        ) -> SSEEvent:
            choice: dict[str, Any] = {"index": index, "delta": delta, "finish_reason": None}
            if turn.return_token_ids and ids is not None:
                choice["token_ids"] = ids
            return SSEEvent(data={**head, "choices": [choice]}, tokens=tokens)

        head = {
            "id": turn.id,
            "object": "chat.completion.chunk",
            "created": turn.created,
            "model": turn.model.name,
        }
        yield SSEEvent(comment="keep-alive")
        await turn.pacer.first_token()
        for index, gen in enumerate(gens):
            role = chunk(index, {"role": "assistant", "content": ""})
            if turn.return_token_ids and index == 0:
                role.data["prompt_token_ids"] = turn.prompt_ids
            yield role
            for key, text in (("reasoning", gen.reasoning), ("content", gen.content or "")):
                for piece, n, ids in turn.deltas(text):
                    await turn.pacer.tokens(n)
                    yield chunk(index, {key: piece}, tokens=n, ids=ids)
            for k, call in enumerate(gen.tool_calls):
                n = turn.tok.count(call.name)
                await turn.pacer.tokens(n)
                opening = {
                    "index": k,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                yield chunk(index, {"tool_calls": [opening]}, tokens=n, ids=turn.tok.encode(call.name))
                for piece, n, ids in turn.deltas(call.arguments):
                    await turn.pacer.tokens(n)
                    yield chunk(
                        index,
                        {"tool_calls": [{"index": k, "function": {"arguments": piece}}]},
                        tokens=n,
                        ids=ids,
                    )
            finish = chunk(index, {})
            finish.data["choices"][0].update(finish_reason=gen.finish_reason, stop_reason=gen.stop_reason)
            finish.closing = True
            yield finish
        if include_usage or turn.perf:
            tail: dict[str, Any] = {**head, "choices": []}
            if include_usage:
                tail["usage"] = turn.usage(gens)
            if turn.perf:
                tail["perf_metrics"] = turn.perf_metrics(gens)
            yield SSEEvent(data=tail, closing=True)
        yield DONE

    async def completions(self, request: Request) -> Response:
        self.check_access(request)
        body = await _json_body(request)
        model = self.model(body)
        tok = tokenizer_for(model.name, model.context_length)
        prompts = self._completion_prompts(tok, body.get("prompt"))
        prompt_ids = [tok.encode(p) for p in prompts]
        longest = max(len(ids) for ids in prompt_ids)
        budget = self._budget(body, model, longest, "max_tokens")
        n = min(_optional_int(body, "n") or 1, MAX_CHOICES)
        stop, stream = _stop(body), _flag(body, "stream")
        turn = self.turn(body, model, [i for ids in prompt_ids for i in ids], prefix="cmpl-")
        gens = [
            generate_completion(tok, p, max_tokens=budget, stop=stop, seed=body.get("seed"), index=k)
            for p in prompts
            for k in range(n)
        ]
        if stream:
            return _stream(self._completion_events(turn, gens, include_usage=_include_usage(body)), request)
        await turn.pacer.tokens(sum(g.completion_tokens for g in gens))
        choices = []
        for index, gen in enumerate(gens):
            choice: dict[str, Any] = {
                "index": index,
                "text": gen.content,
                "finish_reason": gen.finish_reason,
                "stop_reason": gen.stop_reason,
                "logprobs": None,
            }
            if turn.return_token_ids:
                choice["token_ids"] = turn.completion_ids(gen)
            choices.append(choice)
        reply: dict[str, Any] = {
            "id": turn.id,
            "object": "text_completion",
            "created": turn.created,
            "model": model.name,
            "choices": choices,
            "usage": turn.usage(gens),
        }
        if turn.perf:
            reply["perf_metrics"] = turn.perf_metrics(gens)
        return JSONResponse(reply)

    @staticmethod
    def _completion_prompts(tok: Tokenizer, prompt: Any) -> list[str]:
        """`prompt` as texts: a string, strings, token ids, or lists of token ids."""
        if isinstance(prompt, str):
            return [prompt]
        if isinstance(prompt, list) and prompt:
            try:
                if all(isinstance(p, str) for p in prompt):
                    return prompt
                if all(isinstance(p, int) for p in prompt):
                    return [tok.decode(prompt)]
                if all(isinstance(p, list) for p in prompt):
                    return [tok.decode(p) for p in prompt]
            except UnknownToken as exc:
                raise invalid_body(str(exc), "prompt") from None
        raise invalid_body("prompt must be a string, a list of strings, or token ids.", "prompt")

    async def _completion_events(
        self, turn: Turn, gens: list[Generation], *, include_usage: bool
    ) -> AsyncIterator[SSEEvent]:
        head = {"id": turn.id, "object": "text_completion", "created": turn.created, "model": turn.model.name}

        def chunk(index: int, text: str, finish: str | None = None, tokens: int = 0) -> SSEEvent:
            choice = {"index": index, "text": text, "logprobs": None, "finish_reason": finish}
            return SSEEvent(data={**head, "choices": [choice]}, tokens=tokens, closing=finish is not None)

        yield SSEEvent(comment="keep-alive")
        await turn.pacer.first_token()
        for index, gen in enumerate(gens):
            for piece, n, _ in turn.deltas(gen.content or ""):
                await turn.pacer.tokens(n)
                yield chunk(index, piece, tokens=n)
            yield chunk(index, "", gen.finish_reason)
        if include_usage:
            yield SSEEvent(data={**head, "choices": [], "usage": turn.usage(gens)}, closing=True)
        yield DONE

    # -- Responses API --

    async def responses(self, request: Request) -> Response:
        self.check_access(request)
        body = await _json_body(request)
        model = self.model(body)
        messages = _responses_messages(body)
        tools = _tools(body)
        tok = tokenizer_for(model.name, model.context_length)
        prompt_ids = tok.encode(chat_prompt(messages, tools))
        budget = self._budget(body, model, len(prompt_ids), "max_output_tokens")
        turn = self.turn(body, model, prompt_ids, prefix="resp_")
        gen = generate_chat(
            tok,
            messages=messages,
            reasoning=model.reasoning,
            think_tags=False,  # the Responses API always separates reasoning items
            max_tokens=budget,
            tools=tools,
            tool_choice=body.get("tool_choice"),
            parallel_tool_calls=body.get("parallel_tool_calls") is not False,
            seed=body.get("seed"),
        )
        items = _ResponseItems(turn.id)
        if _flag(body, "stream"):
            return _stream(self._response_events(turn, gen, items), request)
        await turn.pacer.tokens(gen.completion_tokens)
        return JSONResponse(self._response_object(turn, gen, items.final(gen)))

    def _response_object(
        self, turn: Turn, gen: Generation, output: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": turn.id,
            "object": "response",
            "created_at": turn.created,
            "model": turn.model.name,
            "status": "in_progress",
            "output": [],
        }
        if output is None:
            return obj
        usage = turn.usage([gen])
        obj.update(
            status="incomplete" if gen.finish_reason == "length" else "completed",
            output=output,
            usage={
                "input_tokens": usage["prompt_tokens"],
                "input_tokens_details": {"cached_tokens": turn.cached},
                "output_tokens": usage["completion_tokens"],
                "output_tokens_details": {"reasoning_tokens": gen.reasoning_tokens},
                "total_tokens": usage["total_tokens"],
            },
        )
        if gen.finish_reason == "length":
            obj["incomplete_details"] = {"reason": "max_output_tokens"}
        if turn.perf:
            obj["perf_metrics"] = turn.perf_metrics([gen])
        return obj

    async def _response_events(
        self, turn: Turn, gen: Generation, items: _ResponseItems
    ) -> AsyncIterator[SSEEvent]:
        sequence = itertools.count()

        def event(kind: str, *, tokens: int = 0, closing: bool = False, **fields: Any) -> SSEEvent:
            data = {"type": kind, "sequence_number": next(sequence), **fields}
            return SSEEvent(data=data, event=kind, tokens=tokens, closing=closing)

        shell = self._response_object(turn, gen, None)
        yield event("response.created", response=shell)
        yield event("response.in_progress", response=shell)
        await turn.pacer.first_token()
        for index, item in enumerate(items.final(gen)):
            where = {"item_id": item["id"], "output_index": index}
            # A function call's name is generated with the item that announces it.
            n = turn.tok.count(item["name"]) if item["type"] == "function_call" else 0
            await turn.pacer.tokens(n)
            yield event("response.output_item.added", tokens=n, output_index=index, item=items.opening(item))
            if item["type"] == "reasoning":
                for piece, n, _ in turn.deltas(gen.reasoning):
                    await turn.pacer.tokens(n)
                    yield event(
                        "response.reasoning_text.delta", tokens=n, **where, content_index=0, delta=piece
                    )
                yield event("response.reasoning_text.done", **where, content_index=0, text=gen.reasoning)
            elif item["type"] == "message":
                part = {"type": "output_text", "text": "", "annotations": []}
                yield event("response.content_part.added", **where, content_index=0, part=part)
                for piece, n, _ in turn.deltas(gen.content or ""):
                    await turn.pacer.tokens(n)
                    yield event("response.output_text.delta", tokens=n, **where, content_index=0, delta=piece)
                yield event("response.output_text.done", **where, content_index=0, text=gen.content or "")
                yield event("response.content_part.done", **where, content_index=0, part=item["content"][0])
            else:  # function_call
                for piece, n, _ in turn.deltas(item["arguments"]):
                    await turn.pacer.tokens(n)
                    yield event("response.function_call_arguments.delta", tokens=n, **where, delta=piece)
                yield event("response.function_call_arguments.done", **where, arguments=item["arguments"])
            yield event("response.output_item.done", output_index=index, item=item)
        final = self._response_object(turn, gen, items.final(gen))
        kind = "response.completed" if final["status"] == "completed" else "response.incomplete"
        yield event(kind, closing=True, response=final)
        yield DONE


class _ResponseItems:
    """Output items of one Responses reply, with ids stable between the stream and the final object."""

    def __init__(self, response_id: str) -> None:
        self.suffix = response_id.removeprefix("resp_")

    def final(self, gen: Generation) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if gen.reasoning:
            items.append(
                {
                    "id": f"rs_{self.suffix}",
                    "type": "reasoning",
                    "summary": [],
                    "content": [{"type": "reasoning_text", "text": gen.reasoning}],
                }
            )
        if gen.content is not None:
            part = {"type": "output_text", "text": gen.content, "annotations": []}
            status = "incomplete" if gen.finish_reason == "length" else "completed"
            items.append(
                {
                    "id": f"msg_{self.suffix}",
                    "type": "message",
                    "role": "assistant",
                    "status": status,
                    "content": [part],
                }
            )
        for k, call in enumerate(gen.tool_calls):
            items.append(
                {
                    "id": f"fc_{self.suffix}_{k}",
                    "type": "function_call",
                    "status": "completed",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments,
                }
            )
        return items

    @staticmethod
    def opening(item: dict[str, Any]) -> dict[str, Any]:
        """The item as first announced, before any of its text."""
        if item["type"] == "message":
            return {**item, "status": "in_progress", "content": []}
        if item["type"] == "function_call":
            return {**item, "status": "in_progress", "arguments": ""}
        return {**item, "content": []}


def _responses_messages(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Responses `instructions` + `input` as chat messages."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    raw = body.get("input")
    if isinstance(raw, str):
        return [*messages, {"role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw or not all(isinstance(i, dict) for i in raw):
        raise invalid_body("input must be a string or a non-empty list of input items.", "input")
    for item in raw:
        kind = item.get("type", "message")
        if kind == "function_call_output":
            messages.append(
                {"role": "tool", "tool_call_id": item.get("call_id"), "content": item.get("output")}
            )
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments")},
            }
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "message" or "role" in item:
            messages.append({"role": str(item.get("role", "user")), "content": item.get("content")})
    if not messages:
        raise invalid_body("input has no messages.", "input")
    return messages


def build_inference_app(state: EmulatorState, *, surface: Surface) -> Starlette:
    """One inference host. Faults from `state.faults` apply under the surface's name."""
    h = InferenceHandlers(state, surface)
    routes = [
        Route("/v1/chat/completions", h.chat, methods=["POST"]),
        Route("/v1/completions", h.completions, methods=["POST"]),
        Route("/v1/responses", h.responses, methods=["POST"]),
        Route("/v1/models", h.models, methods=["GET"]),
        Route("/tokenize", h.tokenize, methods=["POST"]),
        Route("/detokenize", h.detokenize, methods=["POST"]),
        Route("/health", h.health, methods=["GET"]),
        Route("/version", h.version, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(StreamWatch, stats=state.streams),  # outermost: sees what the client sees
            Middleware(RequestIdMiddleware),
            Middleware(FaultMiddleware, registry=state.faults, surface=surface),
        ],
        exception_handlers={APIError: _api_error_response, HTTPException: _http_error_response},
    )
