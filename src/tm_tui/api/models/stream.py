"""Streamed payloads: chat/completion chunks and Responses API events (reference §5).

Every field is optional: a chunk without `id`/`created`/`model` is accepted (the SDK
raises a KeyError there). Unknown keys are kept in `model_extra`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import field_validator

from tm_tui.api.models.base import Usage, WireModel


class DeltaFunction(WireModel):
    name: str | None = None
    arguments: str | None = None

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments_as_text(cls, value: Any) -> Any:
        # Some servers send the arguments as a JSON object instead of a string fragment.
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)


class DeltaToolCall(WireModel):
    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: DeltaFunction | None = None


class ChatDelta(WireModel):
    """`choices[].delta` of a chunk, or `choices[].message` of a whole reply sent instead."""

    role: str | None = None
    content: str | None = None
    reasoning: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[DeltaToolCall] | None = None

    @property
    def reasoning_text(self) -> str | None:
        # vLLM may send both names with the same text; take one.
        return self.reasoning or self.reasoning_content


class ChatChunkChoice(WireModel):
    index: int = 0
    delta: ChatDelta | None = None
    message: ChatDelta | None = None
    finish_reason: str | None = None

    @property
    def changes(self) -> ChatDelta:
        return self.delta or self.message or ChatDelta()


class ChatCompletionChunk(WireModel):
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[ChatChunkChoice] | None = None
    usage: Usage | None = None


type PlainChatDelta = tuple[str | None, str | None, str | None, str | None, str | None]


def plain_chat_delta(payload: dict[str, Any]) -> PlainChatDelta | None:
    """`(id, model, reasoning, content, finish_reason)` of a chunk of the usual shape, else None.

    The fast path of a stream: one choice at index 0 whose `delta` holds only text, no usage,
    every field of its exact JSON type. Such a chunk always validates as `ChatCompletionChunk` and
    reads the same (tests/api/test_stream_fast_path.py); anything else (None) goes to the model,
    which also decides what is malformed. `reasoning` is `ChatDelta.reasoning_text`.
    """
    get = payload.get
    choices = get("choices")
    if type(choices) is not list or len(choices) != 1 or get("usage") is not None:
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("message") is not None:
        return None
    index, delta, created = choice.get("index", 0), choice.get("delta"), get("created")
    if type(index) is not int or index != 0 or type(delta) is not dict or delta.get("tool_calls") is not None:
        return None
    if created is not None and type(created) is not int:
        return None
    response_id, model, finish_reason = get("id"), get("model"), choice.get("finish_reason")
    reasoning, reasoning_content, content = (
        delta.get("reasoning"),
        delta.get("reasoning_content"),
        delta.get("content"),
    )
    for value in (
        response_id,
        get("object"),
        model,
        finish_reason,
        delta.get("role"),
        reasoning,
        reasoning_content,
        content,
    ):
        if value is not None and type(value) is not str:
            return None
    return response_id, model, reasoning or reasoning_content, content, finish_reason


class CompletionChunkChoice(WireModel):
    index: int = 0
    text: str | None = None
    finish_reason: str | None = None


class CompletionChunk(WireModel):
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    choices: list[CompletionChunkChoice] | None = None
    usage: Usage | None = None


class ResponsesUsage(WireModel):
    """Responses API usage (`input_tokens`/`output_tokens`); chat-style names are accepted too."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_tokens_details: dict | None = None
    output_tokens_details: dict | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def to_usage(self) -> Usage:
        prompt = self.input_tokens if self.input_tokens is not None else self.prompt_tokens
        completion = self.output_tokens if self.output_tokens is not None else self.completion_tokens
        total = self.total_tokens if self.total_tokens is not None else (prompt or 0) + (completion or 0)
        fields: dict[str, Any] = {
            "prompt_tokens": prompt or 0,
            "completion_tokens": completion,
            "total_tokens": total,
            "prompt_tokens_details": self.input_tokens_details,
        }
        if self.output_tokens_details is not None:
            # Usage.reasoning_tokens reads completion_tokens_details.reasoning_tokens.
            fields["completion_tokens_details"] = self.output_tokens_details
        return Usage.model_validate(fields)


class ResponseContentPart(WireModel):
    type: str | None = None
    text: str | None = None


class ResponseOutputItem(WireModel):
    id: str | None = None
    type: str | None = None
    role: str | None = None
    status: str | None = None
    content: list[ResponseContentPart] | None = None
    summary: list[ResponseContentPart] | None = None


class ResponseObject(WireModel):
    id: str | None = None
    model: str | None = None
    status: str | None = None
    output: list[ResponseOutputItem] | None = None
    usage: ResponsesUsage | None = None
    error: Any = None


class ResponsesStreamEvent(WireModel):
    """One Responses API stream event (OpenAI names), or a bare response object with `output`."""

    type: str | None = None
    delta: Any = None  # a string for the text/reasoning deltas; other event types vary
    message: Any = None
    response: ResponseObject | None = None
    # A whole response object sent as the event (what the `tm` CLI reads): top-level fields.
    id: str | None = None
    model: str | None = None
    status: str | None = None
    output: list[ResponseOutputItem] | None = None
    usage: ResponsesUsage | None = None


def output_text(items: list[ResponseOutputItem]) -> str:
    """Display text of a Responses `output` array, as the `tm` CLI extracts it (§3.4).

    The first `output_text` part of a `message` item, else the first non-empty text outside
    reasoning items (the CLI looks everywhere; reasoning is reported separately here).
    """
    for item in items:
        if item.type == "message":
            for part in item.content or []:
                if part.type == "output_text" and part.text is not None:
                    return part.text
    for item in items:
        if item.type == "reasoning":
            continue
        for part in item.content or []:
            if part.text:
                return part.text
    return ""


def output_reasoning(items: list[ResponseOutputItem]) -> str:
    """Reasoning text of a Responses `output` array: `reasoning` items' content, else their summary."""
    texts: list[str] = []
    for item in items:
        if item.type == "reasoning":
            parts = item.content or item.summary or []
            texts.extend(part.text for part in parts if part.text)
    return "\n\n".join(texts)
