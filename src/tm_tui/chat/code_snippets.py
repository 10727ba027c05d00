"""The "View code" panel: the exact last request as curl, as Python with the `tensormesh` SDK, and
as Python with the `openai` package.

The inference key is written as a reference to `$TENSORMESH_INFERENCE_API_KEY` unless the user asks
to reveal it. Untrusted text from the conversation ends up inside the snippets, so every value is
quoted by a generator that cannot be escaped from: a quoted heredoc (whose delimiter never occurs
in the JSON) or `shlex.quote` for the shell, `repr`-based literals for Python.
"""

from __future__ import annotations

import json
import pprint
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tm_tui.surface import Surface

KEY_ENV = "TENSORMESH_INFERENCE_API_KEY"
_INDENT = "    "

Route = Literal["/v1/chat/completions", "/v1/completions", "/v1/responses"]

# Body keys each library takes as named arguments; anything else travels in `extra_body`.
_SDK_ARGS: dict[str, frozenset[str]] = {
    "/v1/chat/completions": frozenset(
        [
            "model",
            "messages",
            "temperature",
            "top_p",
            "max_tokens",
            "max_completion_tokens",
            "n",
            "stop",
            "top_k",
            "min_p",
            "typical_p",
            "seed",
            "repetition_penalty",
            "mirostat_target",
            "mirostat_lr",
            "stream",
            "stream_options",
            "response_format",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
            "top_logprobs",
            "logit_bias",
            "user",
            "metadata",
            "prompt_truncate_len",
            "context_length_exceeded_behavior",
            "return_token_ids",
            "prompt_cache_isolation_key",
            "raw_output",
            "perf_metrics_in_response",
            "echo",
            "echo_last",
            "ignore_eos",
            "speculation",
            "prediction",
            "reasoning_effort",
            "reasoning_history",
            "thinking",
            "functions",
            "function_call",
        ]
    ),
    "/v1/completions": frozenset({"model", "prompt", "max_tokens", "stream", "temperature"}),
    "/v1/responses": frozenset({"model", "input", "max_output_tokens", "stream"}),
}
_OPENAI_ARGS: dict[str, frozenset[str]] = {
    "/v1/chat/completions": frozenset(
        [
            "model",
            "messages",
            "temperature",
            "top_p",
            "max_tokens",
            "max_completion_tokens",
            "n",
            "stop",
            "seed",
            "stream",
            "stream_options",
            "response_format",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
            "top_logprobs",
            "logit_bias",
            "user",
            "metadata",
            "prediction",
            "reasoning_effort",
            "functions",
            "function_call",
        ]
    ),
    "/v1/completions": frozenset(
        [
            "model",
            "prompt",
            "max_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "seed",
            "stream",
            "stream_options",
            "presence_penalty",
            "frequency_penalty",
            "logprobs",
            "echo",
            "logit_bias",
            "user",
        ]
    ),
    "/v1/responses": frozenset(
        [
            "model",
            "input",
            "instructions",
            "max_output_tokens",
            "temperature",
            "top_p",
            "reasoning",
            "text",
            "stream",
            "metadata",
            "tools",
            "tool_choice",
            "user",
        ]
    ),
}
_SDK_METHOD = {
    "/v1/chat/completions": "chat.completions.create",
    "/v1/completions": "completions.create",
    "/v1/responses": "responses.create",
}


@dataclass(frozen=True)
class RequestSpec:
    """One inference request as it went on the wire."""

    surface: Surface
    base_url: str  # the bare host, without /v1
    route: Route
    body: Mapping[str, Any]
    api_key: str | None = None
    user_id: str | None = None  # X-User-Id, on-demand only
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_headers(
        cls,
        surface: Surface,
        base_url: str,
        route: Route,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
    ) -> RequestSpec:
        """Split the headers that were sent into the key, the user id and the rest (case-insensitive)."""
        api_key = user_id = None
        rest: dict[str, str] = {}
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "authorization" and value.lower().startswith("bearer "):
                api_key = value[len("bearer ") :].strip()
            elif lowered == "x-user-id":
                user_id = value
            elif lowered not in ("content-type", "accept", "content-length", "host"):
                rest[name] = value
        return cls(surface, base_url, route, body, api_key, user_id, rest)

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.route

    @property
    def streams(self) -> bool:
        return self.body.get("stream") is True


def all_snippets(spec: RequestSpec, *, reveal: bool = False) -> dict[str, str]:
    """Tab title → snippet."""
    return {
        "curl": curl_snippet(spec, reveal=reveal),
        "Python (tensormesh)": tensormesh_snippet(spec, reveal=reveal),
        "Python (openai)": openai_snippet(spec, reveal=reveal),
    }


# --- curl -----------------------------------------------------------------------------------------


def curl_snippet(spec: RequestSpec, *, reveal: bool = False) -> str:
    payload = json.dumps(spec.body, ensure_ascii=False, indent=2)
    delimiter = "JSON"
    while delimiter in payload.splitlines():  # cannot happen with indented JSON; cheap to be sure
        delimiter += "_END"
    if reveal and spec.api_key:
        auth = shlex.quote(f"Authorization: Bearer {spec.api_key}")
    else:
        auth = f'"Authorization: Bearer ${KEY_ENV}"'
    headers = [auth, shlex.quote("Content-Type: application/json")]
    if spec.streams:
        headers.append(shlex.quote("Accept: text/event-stream"))
    if spec.user_id:
        headers.append(shlex.quote(f"X-User-Id: {spec.user_id}"))
    headers += [shlex.quote(f"{name}: {value}") for name, value in spec.extra_headers.items()]
    lines = [f"curl -sS{' -N' if spec.streams else ''} {shlex.quote(spec.url)}"]
    lines += [f"  -H {header}" for header in headers]
    lines.append(f"  --data-binary @- <<'{delimiter}'")
    return " \\\n".join(lines) + f"\n{payload}\n{delimiter}\n"


# --- Python -------------------------------------------------------------------------------------


def _literal(value: Any, indent: str) -> str:
    """A Python literal for a JSON value (repr-based, so any string is safely quoted)."""
    text = pprint.pformat(value, width=100, sort_dicts=False)
    return text.replace("\n", "\n" + indent)


def _call(target: str, body: Mapping[str, Any], named: frozenset[str]) -> str:
    args = [f"{_INDENT}{key}={_literal(value, _INDENT)}," for key, value in body.items() if key in named]
    extra = {key: value for key, value in body.items() if key not in named}
    if extra:
        args.append(f"{_INDENT}extra_body={_literal(extra, _INDENT)},")
    return f"{target}(\n" + "\n".join(args) + "\n)"


def _key_expression(spec: RequestSpec, reveal: bool) -> str:
    return repr(spec.api_key) if reveal and spec.api_key else f'os.environ["{KEY_ENV}"]'


def _imports(spec: RequestSpec, reveal: bool, library_import: str) -> list[str]:
    needs_os = not (reveal and spec.api_key)
    return [*(["import os", ""] if needs_os else []), library_import, ""]


def tensormesh_snippet(spec: RequestSpec, *, reveal: bool = False) -> str:
    on_demand = spec.surface == Surface.ON_DEMAND
    settings = [f"inference_api_key={_key_expression(spec, reveal)},"]
    if on_demand:
        settings += [
            "enable_on_demand=True,",
            f"on_demand_base_url={spec.base_url.rstrip('/')!r},",
            *([f"on_demand_user_id={spec.user_id!r},"] if spec.user_id else []),
        ]
    else:
        settings.append(f"serverless_base_url={spec.base_url.rstrip('/')!r},")
    call = _call(
        f"client.inference.{Surface(spec.surface).value}.{_SDK_METHOD[spec.route]}",
        spec.body,
        _SDK_ARGS[spec.route],
    )
    lines = [
        *_imports(spec, reveal, "from tensormesh import Tensormesh"),
        "client = Tensormesh(",
        *(_INDENT + line for line in settings),
        ")",
        f"response = {call}",
    ]
    if spec.streams and spec.route == "/v1/chat/completions":
        lines += [
            "for text in response.text_deltas():",
            f'{_INDENT}print(text, end="", flush=True)',
            "print()",
        ]
    elif spec.streams:  # the SDK hands back the raw HTTP response for these streams
        lines += [
            "for line in response.iter_lines(decode_unicode=True):",
            f'{_INDENT}if line.startswith("data:"):',
            f"{_INDENT * 2}print(line)",
        ]
    elif spec.route == "/v1/chat/completions":
        lines.append("print(response.choices[0].message.content)")
    elif spec.route == "/v1/completions":
        lines.append("print(response.choices[0].text)")
    else:
        lines += [
            "for item in response.output or []:",
            f"{_INDENT}for part in item.content or []:",
            f'{_INDENT * 2}print(part.text or "")',
        ]
    return "\n".join(lines) + "\n"


def openai_snippet(spec: RequestSpec, *, reveal: bool = False) -> str:
    settings = [
        f"base_url={spec.base_url.rstrip('/') + '/v1'!r},",
        f"api_key={_key_expression(spec, reveal)},",
    ]
    headers = dict(spec.extra_headers)
    if spec.user_id:
        headers["X-User-Id"] = spec.user_id
    if headers:
        settings.append(f"default_headers={_literal(headers, _INDENT)},")
    call = _call(f"client.{_SDK_METHOD[spec.route]}", spec.body, _OPENAI_ARGS[spec.route])
    lines = [
        *_imports(spec, reveal, "from openai import OpenAI"),
        "client = OpenAI(",
        *(_INDENT + line for line in settings),
        ")",
        f"response = {call}",
    ]
    if spec.streams:
        text = {
            "/v1/chat/completions": "event.choices[0].delta.content if event.choices else None",
            "/v1/completions": "event.choices[0].text if event.choices else None",
            "/v1/responses": 'event.delta if event.type == "response.output_text.delta" else None',
        }[spec.route]
        lines += [
            "for event in response:",
            f"{_INDENT}text = {text}",
            f"{_INDENT}if text:",
            f'{_INDENT * 2}print(text, end="", flush=True)',
            "print()",
        ]
    else:
        lines.append(
            {
                "/v1/chat/completions": "print(response.choices[0].message.content)",
                "/v1/completions": "print(response.choices[0].text)",
                "/v1/responses": "print(response.output_text)",
            }[spec.route]
        )
    return "\n".join(lines) + "\n"
