"""Tokenize and detokenize on any kind of OpenAI-compatible server (reference §3.6, peers/llama-server.md).

Tensormesh and vLLM take `{"model", "prompt" | "messages"}` and answer `tokens` (+ `token_strs`, `count`,
`max_model_len`). llama.cpp's `llama-server` takes `{"content"}` (`with_pieces` gives each token's text),
answers `{"tokens": []}` to a `prompt` *without an error*, renders a chat with `/apply-template` and
detokenizes to `{"content"}`. An empty token list for non-empty text is therefore not an answer: the
client then asks the llama.cpp way, and remembers which kind of server answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tm_tui.api.errors import APIStatusError, BadRequest, NotFound, ProtocolError
from tm_tui.api.inference import InferenceClient
from tm_tui.api.models.inference import ModelCard
from tm_tui.api.token_pieces import piece_from_llama, pieces_from_strs
from tm_tui.api.transport import Reply

# Without token_strs, each id is detokenized on its own to show its text; past this many, ids only.
PER_ID_DETOKENIZE_LIMIT = 2048
PER_ID_CONCURRENCY = 8


class ServerKind(StrEnum):
    VLLM = "vLLM-style"  # Tensormesh, vLLM, the emulator
    LLAMA = "llama.cpp"


class UnknownModel(NotFound):
    default_hint = "Choose a model the server lists (Models, F3)."


class NoTokenizer(NotFound):
    default_hint = "This server has no /tokenize route; tokenizing needs one."


@dataclass(frozen=True)
class Tokenization:
    model: str
    ids: list[int]
    pieces: list[bytes] | None  # each token's bytes, when the server told or they could be decoded
    kind: ServerKind
    max_model_len: int | None = None
    rendered: str | None = None  # a chat as the server's template rendered it (llama.cpp)
    request_id: str | None = None
    latency_s: float | None = None

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class MessageShare:
    role: str
    content_tokens: int  # the content alone
    added_tokens: int  # what the message adds to the chat, template included

    @property
    def template_tokens(self) -> int:
        return self.added_tokens - self.content_tokens


@dataclass(frozen=True)
class Attribution:
    messages: list[MessageShare]
    generation_prompt: int  # tokens the template adds to start the answer
    total: int

    @property
    def template_tokens(self) -> int:
        return self.total - sum(m.content_tokens for m in self.messages)


def _is_nonempty(text: str | None, messages: Sequence[Mapping[str, Any]] | None) -> bool:
    return bool(text) or bool(messages)


def _int_list(value: object) -> list[int] | None:
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return value
    return None


def _malformed(what: str, reply: Reply) -> ProtocolError:
    return ProtocolError(f"Malformed /tokenize reply: {what}.", request_id=reply.request_id)


def _classify_404(error: NotFound, model: str) -> NotFound:
    """A 404 names either the model (OpenAI error with code/param) or a route the server lacks."""
    body: dict[str, Any] = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    detail: dict[str, Any] = inner if isinstance(inner, dict) else body
    about_model = detail.get("param") == "model" or "model" in str(detail.get("code", "")).lower()
    about_model = about_model or "model" in error.message.lower()
    cls = UnknownModel if about_model else NoTokenizer
    message = f"Unknown model {model!r}." if about_model else "The server has no /tokenize endpoint."
    return cls(message, status=404, request_id=error.request_id, body=error.body)


def card_context_length(card: ModelCard) -> int | None:
    """A model's context window from its /v1/models card: `max_model_len` (vLLM, Tensormesh) or
    llama.cpp's `meta.n_ctx` (`n_ctx_train`, the trained maximum, only when n_ctx is absent)."""
    extra = card.model_extra or {}
    meta: dict[str, Any] = extra["meta"] if isinstance(extra.get("meta"), dict) else {}
    for value in (extra.get("max_model_len"), meta.get("n_ctx"), meta.get("n_ctx_train")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


class TokenizerClient:
    """Tokenize / detokenize on one inference client, whatever kind of server is behind it."""

    def __init__(self, client: InferenceClient) -> None:
        self.client = client
        self.kind: ServerKind | None = None  # learnt from the first answer

    async def _post(self, path: str, body: Mapping[str, Any], model: str) -> Reply:
        try:
            # Tokenizing changes nothing on the server: the transport may send it once more after a
            # dropped connection (generation never is).
            return await self.client.call_json("POST", path, body, side_effect_free=True)
        except NotFound as error:
            raise _classify_404(error, model) from None

    # -- tokenize ---------------------------------------------------------------------------------
    async def tokenize(
        self,
        model: str,
        *,
        text: str | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        add_generation_prompt: bool = True,
        pieces: bool = True,
    ) -> Tokenization:
        """`pieces=False`: only the ids are needed (no per-id /detokenize for a server without token_strs)."""
        if (text is None) == (messages is None):
            raise ValueError("tokenize needs text or messages")
        if self.kind is not ServerKind.LLAMA:
            try:
                result = await self._tokenize_vllm(model, text, messages, add_generation_prompt, pieces)
            except (BadRequest, NoTokenizer):
                if self.kind is ServerKind.VLLM:
                    raise
                result = None  # maybe a llama.cpp server, which wants `content`
            if result is not None:
                self.kind = ServerKind.VLLM
                return result
        result = await self._tokenize_llama(model, text, messages, add_generation_prompt)
        self.kind = ServerKind.LLAMA
        return result

    async def _tokenize_vllm(
        self,
        model: str,
        text: str | None,
        messages: Sequence[Mapping[str, Any]] | None,
        add_generation_prompt: bool,
        want_pieces: bool,
    ) -> Tokenization | None:
        body: dict[str, Any] = {"model": model, "return_token_strs": True}
        if messages is not None:
            body["messages"] = [dict(m) for m in messages]
            body["add_generation_prompt"] = add_generation_prompt
        else:
            body["prompt"] = text
        reply = await self._post("/tokenize", body, model)
        data = reply.data
        if not isinstance(data, dict):
            raise _malformed("not a JSON object", reply)
        ids = _int_list(data.get("tokens", []))
        if ids is None:
            raise _malformed("'tokens' is not a list of integers", reply)
        if not ids and _is_nonempty(text, messages):
            return None  # llama.cpp answers a `prompt` like this: not an answer
        strs = data.get("token_strs")
        pieces = None
        if isinstance(strs, list) and len(strs) == len(ids) and all(isinstance(s, str) for s in strs):
            pieces = pieces_from_strs(strs, text)
        elif want_pieces:
            pieces = await self._pieces_by_detokenize(model, ids)
        max_len = data.get("max_model_len")
        return Tokenization(
            model,
            ids,
            pieces,
            ServerKind.VLLM,
            max_len if isinstance(max_len, int) and max_len > 0 else None,
            request_id=reply.request_id,
            latency_s=reply.latency_s,
        )

    async def _tokenize_llama(
        self,
        model: str,
        text: str | None,
        messages: Sequence[Mapping[str, Any]] | None,
        add_generation_prompt: bool,
    ) -> Tokenization:
        rendered = None
        if messages is not None:
            body = {
                "model": model,
                "messages": [dict(m) for m in messages],
                "add_generation_prompt": add_generation_prompt,
            }
            reply = await self._post("/apply-template", body, model)
            rendered = reply.data.get("prompt") if isinstance(reply.data, dict) else None
            if not isinstance(rendered, str):
                raise _malformed("/apply-template gave no 'prompt'", reply)
            text = rendered
        reply = await self._post("/tokenize", {"model": model, "content": text, "with_pieces": True}, model)
        data = reply.data
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            raise _malformed("no 'tokens' list", reply)
        ids, pieces = [], []
        for item in tokens:
            if isinstance(item, dict) and isinstance(item.get("id"), int):
                ids.append(item["id"])
                try:
                    pieces.append(piece_from_llama(item.get("piece")))
                except ValueError as exc:
                    raise _malformed(str(exc), reply) from None
            elif isinstance(item, int) and not isinstance(item, bool):
                ids.append(item)
            else:
                raise _malformed("a token is neither an id nor {id, piece}", reply)
        if not ids and text:
            raise ProtocolError(
                "The server returned no tokens for non-empty text.", request_id=reply.request_id
            )
        return Tokenization(
            model,
            ids,
            pieces if len(pieces) == len(ids) else None,
            ServerKind.LLAMA,
            rendered=rendered,
            request_id=reply.request_id,
            latency_s=reply.latency_s,
        )

    async def _pieces_by_detokenize(self, model: str, ids: list[int]) -> list[bytes] | None:
        """Each token's text from its own /detokenize (a server without token_strs); None past the limit."""
        if len(ids) > PER_ID_DETOKENIZE_LIMIT:
            return None
        gate = asyncio.Semaphore(PER_ID_CONCURRENCY)

        async def one(token: int) -> bytes:
            async with gate:
                return (await self.detokenize(model, [token])).encode("utf-8", "surrogatepass")

        return list(await asyncio.gather(*(one(i) for i in ids)))

    async def server_context_length(self) -> int | None:
        """llama.cpp's context size from `GET /props`; None when the server has no such route."""
        try:
            reply = await self.client.call_json("GET", "/props")
        except APIStatusError:
            return None
        settings = reply.data.get("default_generation_settings") if isinstance(reply.data, dict) else None
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else None

    # -- detokenize -------------------------------------------------------------------------------
    async def detokenize(self, model: str, ids: Sequence[int]) -> str:
        reply = await self._post("/detokenize", {"model": model, "tokens": list(ids)}, model)
        data = reply.data
        if isinstance(data, dict):
            for key in ("prompt", "content"):  # Tensormesh/vLLM, llama.cpp
                if isinstance(data.get(key), str):
                    return data[key]
        raise ProtocolError(
            "Malformed /detokenize reply: no 'prompt' or 'content'.", request_id=reply.request_id
        )

    # -- chat attribution -------------------------------------------------------------------------
    async def attribution(self, model: str, messages: Sequence[Mapping[str, Any]]) -> Attribution:
        """Tokens each message adds (its chat prefix against the one before) and its content alone."""
        prefixes = [
            self.tokenize(model, messages=messages[: k + 1], add_generation_prompt=False, pieces=False)
            for k in range(len(messages))
        ]
        full = self.tokenize(model, messages=messages, pieces=False)
        tokenized = await asyncio.gather(full, *prefixes)
        content_counts = await asyncio.gather(*(self._content_count(model, m) for m in messages))
        total = tokenized[0].count
        prefix_counts = [t.count for t in tokenized[1:]]
        shares: list[MessageShare] = []
        previous = 0
        for message, upto, content in zip(messages, prefix_counts, content_counts, strict=True):
            shares.append(MessageShare(str(message.get("role", "")), content, upto - previous))
            previous = upto
        return Attribution(shares, total - previous, total)

    async def _content_count(self, model: str, message: Mapping[str, Any]) -> int:
        content = message.get("content")
        if not isinstance(content, str) or not content:
            return 0
        return (await self.tokenize(model, text=content, pieces=False)).count


@dataclass
class TokenizerClients:
    """One `TokenizerClient` per inference client, so what was learnt about a server is kept."""

    _clients: dict[int, TokenizerClient] = field(default_factory=dict)

    def for_client(self, client: InferenceClient) -> TokenizerClient:
        found = self._clients.get(id(client))
        if found is None or found.client is not client:
            found = self._clients[id(client)] = TokenizerClient(client)
        return found
