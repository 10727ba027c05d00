"""Inference wire models (OpenAI-style snake_case), shared by serverless and on-demand (§3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import PrivateAttr, model_validator

from tm_tui.api.models.base import Usage, WireModel
from tm_tui.api.models.stream import ResponseOutputItem, ResponsesUsage, output_reasoning, output_text
from tm_tui.api.reasoning import split_leading_think


class Traced(WireModel):
    """A reply that remembers its `x-request-id` and measured round-trip time (not serialised)."""

    _request_id: str | None = PrivateAttr(default=None)
    _latency_s: float | None = PrivateAttr(default=None)
    _not_utf8: bool = PrivateAttr(default=False)

    @property
    def request_id(self) -> str | None:
        return self._request_id

    @property
    def not_utf8(self) -> bool:
        """The body had bytes that are not UTF-8: its text shows U+FFFD in their place."""
        return self._not_utf8

    @property
    def latency_s(self) -> float | None:
        return self._latency_s

    def traced(self, request_id: str | None, latency_s: float | None, not_utf8: bool = False) -> Traced:
        self._request_id = request_id
        self._latency_s = latency_s
        self._not_utf8 = not_utf8
        return self


class RequestModel(WireModel):
    """A request body: unset (None) fields are omitted; extra keys go on the wire verbatim."""

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


# --- messages and tools -------------------------------------------------------------------------


class FunctionCall(WireModel):
    name: str | None = None
    arguments: str | dict[str, Any] | None = None


class ToolCall(WireModel):
    id: str | None = None
    type: str = "function"
    function: FunctionCall


class FunctionDef(WireModel):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(WireModel):
    type: Literal["function"] = "function"
    function: FunctionDef


class Message(WireModel):
    """A chat message, in a request's history or in a reply."""

    role: str
    content: str | list[Any] | None = None
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning: str | None = None


class ReplyMessage(Message):
    """A reply message with reasoning normalised: server `reasoning_content` and leading think tags."""

    refusal: str | None = None

    @model_validator(mode="after")
    def _normalise_reasoning(self) -> ReplyMessage:
        if not self.reasoning:
            alt = (self.model_extra or {}).get("reasoning_content")
            if isinstance(alt, str) and alt:
                self.reasoning = alt
        if isinstance(self.content, str) and self.content.lstrip().startswith("<think>"):
            reasoning, self.content = split_leading_think(self.content)
            if not self.reasoning:
                self.reasoning = reasoning
        return self

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else ""


# --- chat completions ---------------------------------------------------------------------------


class ChatCompletionRequest(RequestModel):
    """Every field of §3.1; anything else can be passed as an extra keyword and is sent verbatim."""

    model: str
    messages: list[Message]
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    typical_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    mirostat_target: float | None = None
    mirostat_lr: float | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    tools: list[Tool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[FunctionDef] | None = None
    function_call: str | dict[str, Any] | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    prompt_truncate_len: int | None = None
    context_length_exceeded_behavior: str | None = None
    return_token_ids: bool | None = None
    prompt_cache_isolation_key: str | None = None
    raw_output: bool | None = None
    perf_metrics_in_response: bool | None = None
    echo: bool | None = None
    echo_last: int | None = None
    ignore_eos: bool | None = None
    speculation: str | list[int] | None = None
    prediction: str | dict[str, Any] | None = None
    reasoning_effort: bool | int | str | None = None
    reasoning_history: str | None = None
    thinking: dict[str, Any] | None = None


class ChatChoice(WireModel):
    index: int
    message: ReplyMessage
    finish_reason: str | None = None
    logprobs: Any = None
    raw_output: Any = None
    stop_reason: str | int | None = None
    token_ids: list[int] | None = None


class ChatCompletion(Traced):
    id: str
    object: str = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice] = []
    usage: Usage | None = None
    perf_metrics: dict[str, Any] | None = None
    prompt_token_ids: list[int] | None = None

    @property
    def message(self) -> ReplyMessage | None:
        """The first choice's message, which is all a chat screen shows."""
        return self.choices[0].message if self.choices else None


# --- text completions ---------------------------------------------------------------------------


class CompletionRequest(RequestModel):
    model: str
    prompt: str | list[str]
    max_tokens: int | None = None
    stream: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None


class CompletionChoice(WireModel):
    index: int
    text: str = ""
    finish_reason: str | None = None
    logprobs: Any = None
    stop_reason: str | int | None = None


class Completion(Traced):
    id: str
    object: str = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice] = []
    usage: Usage | None = None


# --- Responses API ------------------------------------------------------------------------------


class ResponseRequest(RequestModel):
    model: str
    input: str | list[dict[str, Any]]
    max_output_tokens: int | None = None
    stream: bool | None = None
    instructions: str | None = None
    temperature: float | None = None


class ResponseResult(Traced):
    """A non-streamed Responses API reply; output items are the same models the stream uses."""

    id: str
    object: str = "response"
    created_at: int | None = None
    model: str | None = None
    status: str | None = None
    output: list[ResponseOutputItem] = []
    usage: ResponsesUsage | None = None

    @property
    def output_text(self) -> str:
        return output_text(self.output)

    @property
    def reasoning(self) -> str:
        return output_reasoning(self.output)


# --- models, tokenizer, health ------------------------------------------------------------------


class ModelCard(WireModel):
    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    root: str | None = None
    parent: str | None = None
    # The context fields differ per server and are read leniently from the extras, so one odd
    # entry never fails the whole list: vLLM / Tensormesh send `max_model_len`, llama-server sends
    # `meta` with `n_ctx` (served) and `n_ctx_train` (the trained maximum).

    @property
    def context_length(self) -> int | None:
        """The context the server serves: `max_model_len`, else llama-server's `meta.n_ctx`."""
        return _positive_int(self._extra("max_model_len")) or _positive_int(self._meta().get("n_ctx"))

    @property
    def trained_context(self) -> int | None:
        """The model's trained maximum (`meta.n_ctx_train`), which may exceed the served context."""
        return _positive_int(self._meta().get("n_ctx_train"))

    def _extra(self, key: str) -> Any:
        return (self.model_extra or {}).get(key)

    def _meta(self) -> dict[str, Any]:
        meta = self._extra("meta")
        return meta if isinstance(meta, dict) else {}


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class ModelList(Traced):
    object: str = "list"
    data: list[ModelCard]

    @property
    def ids(self) -> list[str]:
        return [card.id for card in self.data]


class TokenizeResult(Traced):
    tokens: list[int] = []
    count: int | None = None
    max_model_len: int | None = None
    token_strs: list[str] | None = None


class DetokenizeResult(Traced):
    prompt: str


class Health(Traced):
    status: str


class Version(Traced):
    version: str
