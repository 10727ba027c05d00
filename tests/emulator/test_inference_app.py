"""The emulator's inference surfaces over ASGI: wire shapes, usage accounting, auth and errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS
from tm_tui.emulator.inference_app import CACHE_BLOCK, build_inference_app
from tm_tui.emulator.state import DEMO_INFERENCE_KEY, DEMO_USER_ID, EmulatorState, Pacing
from tm_tui.emulator.streaming import Pacer

PLAIN = "Qwen/Qwen3-30B-A3B-Instruct-2507"
REASONING = "MiniMaxAI/MiniMax-M2.5"  # reasoning in delta.reasoning
THINK_TAGS = "deepseek-ai/DeepSeek-R1-0528"  # reasoning inside <think> in content
SMALL = "meta-llama/Llama-3.3-70B-Instruct"  # 8k context
AUTH = {"Authorization": f"Bearer {DEMO_INFERENCE_KEY}"}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def client_for(state: EmulatorState, surface: str = "serverless", **headers: str) -> httpx.AsyncClient:
    app = build_inference_app(state, surface=surface)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://emulator", headers=headers)


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState(pacing=Pacing(unthrottled=True))


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(state, **AUTH) as client:
        yield client


def chat_body(
    model: str = PLAIN, content: str = "Explain prompt caching in vLLM", **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def sse_payloads(text: str) -> list[Any]:
    """The `data:` payloads of an SSE body, JSON-decoded except [DONE]."""
    out = []
    for line in text.splitlines():
        if line.startswith("data: "):
            payload = line.removeprefix("data: ")
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


async def count_tokens(api: httpx.AsyncClient, model: str, **body: Any) -> int:
    r = await api.post("/tokenize", json={"model": model, **body})
    assert r.status_code == 200
    return r.json()["count"]


# ---- simple routes and access ----


async def test_health_version_and_models_are_public_on_serverless(state: EmulatorState) -> None:
    async with client_for(state) as anon:
        assert (await anon.get("/health")).json() == {"status": "ok"}
        assert "version" in (await anon.get("/version")).json()
        models = (await anon.get("/v1/models")).json()
    ids = [m["id"] for m in models["data"]]
    assert models["object"] == "list"
    assert ids == [m.name for m in SERVERLESS_MODELS if m.active]
    assert "mistralai/Mistral-7B-Instruct-v0.3" not in ids


async def test_every_reply_has_a_request_id(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/health"),
        await api.post("/v1/chat/completions", json=chat_body()),
        await api.get("/no/such/route"),
        await api.post("/v1/chat/completions", json={"model": "nope", "messages": []}),
    ):
        assert response.headers["x-request-id"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
async def test_generation_needs_a_valid_key(state: EmulatorState, headers: dict[str, str]) -> None:
    async with client_for(state, **headers) as client:
        r = await client.post("/v1/chat/completions", json=chat_body())
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "authentication_error"
    assert set(r.json()["error"]) >= {"message", "type", "code"}


async def test_a_key_revoked_in_state_stops_working(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.inference_keys.discard(DEMO_INFERENCE_KEY)
    assert (await api.post("/tokenize", json={"model": PLAIN, "prompt": "x"})).status_code == 401


async def test_on_demand_requires_key_and_matching_user_id(state: EmulatorState) -> None:
    async with client_for(state, "on_demand") as anon:
        assert (await anon.get("/health", headers={"X-User-Id": DEMO_USER_ID})).status_code == 401
    async with client_for(state, "on_demand", **AUTH) as client:
        assert (await client.get("/v1/models")).status_code == 400
        assert (await client.get("/v1/models", headers={"X-User-Id": "not-a-uuid"})).status_code == 400
        other = await client.get("/v1/models", headers={"X-User-Id": "00000000-0000-4000-8000-000000000000"})
        assert other.status_code == 404
        ok = await client.get("/v1/models", headers={"X-User-Id": DEMO_USER_ID.upper()})
        assert [m["id"] for m in ok.json()["data"]] == list(ON_DEMAND_MODELS)
        chat = await client.post(
            "/v1/chat/completions", json=chat_body(ON_DEMAND_MODELS[0]), headers={"X-User-Id": DEMO_USER_ID}
        )
        assert chat.status_code == 200
        serverless_model = await client.post(
            "/v1/chat/completions", json=chat_body(PLAIN), headers={"X-User-Id": DEMO_USER_ID}
        )
        assert serverless_model.status_code == 404


# ---- errors ----


async def test_unknown_model_is_404(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/chat/completions", json=chat_body("no/such-model"))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "hi"}]},
        {"model": PLAIN},
        {"model": PLAIN, "messages": "hi"},
        {"model": PLAIN, "messages": [{"content": "no role"}]},
        chat_body(max_tokens=0),
        chat_body(max_tokens="12"),
        chat_body(stop=[1, 2]),
        chat_body(stream="yes"),
    ],
)
async def test_bad_bodies_are_422(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    r = await api.post("/v1/chat/completions", json=body)
    assert r.status_code == 422
    assert r.json()["code"] == 422 and r.json()["message"]


async def test_non_json_body_is_422(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


async def test_prompt_beyond_the_context_is_400(api: httpx.AsyncClient) -> None:
    long_prompt = "word " * 9000  # well past the 8k context of the small model
    r = await api.post("/v1/chat/completions", json=chat_body(SMALL, long_prompt))
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert "maximum context length is 8192 tokens" in error["message"]
    prompt_tokens = await count_tokens(api, SMALL, messages=[{"role": "user", "content": "hello"}])
    over = await api.post("/v1/chat/completions", json=chat_body(SMALL, "hello", max_tokens=8192))
    assert over.status_code == 400
    assert f"requested {8192 + prompt_tokens} tokens" in over.json()["error"]["message"]


# ---- tokenize / detokenize ----


async def test_tokenize_and_detokenize_round_trip(api: httpx.AsyncClient) -> None:
    r = (await api.post("/tokenize", json={"model": REASONING, "prompt": "Hello world 🌍"})).json()
    assert r["count"] == len(r["tokens"]) == len(r["token_strs"])
    assert r["max_model_len"] == 196_608
    back = await api.post("/detokenize", json={"model": REASONING, "tokens": r["tokens"]})
    assert back.json() == {"prompt": "Hello world 🌍"}
    bad = await api.post("/detokenize", json={"model": REASONING, "tokens": [-5]})
    assert bad.status_code == 400


# ---- chat: usage, determinism, limits ----


async def test_chat_usage_agrees_with_the_tokenizer(api: httpx.AsyncClient) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Compare caches 😀"}]
    r = (await api.post("/v1/chat/completions", json={"model": PLAIN, "messages": messages})).json()
    usage, message = r["usage"], r["choices"][0]["message"]
    assert usage["prompt_tokens"] == await count_tokens(api, PLAIN, messages=messages)
    assert usage["completion_tokens"] == await count_tokens(api, PLAIN, prompt=message["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert (
        r["object"] == "chat.completion" and r["id"].startswith("chatcmpl-") and isinstance(r["created"], int)
    )
    assert r["choices"][0]["finish_reason"] == "stop"


async def test_generation_is_deterministic_and_prompt_dependent(api: httpx.AsyncClient) -> None:
    async def content(text: str) -> str:
        r = await api.post("/v1/chat/completions", json=chat_body(content=text))
        return r.json()["choices"][0]["message"]["content"]

    assert await content("Tell me about tables") == await content("Tell me about tables")
    assert await content("Tell me about tables") != await content("Tell me about rivers")


async def test_answers_use_markdown_and_sometimes_quote_the_prompt(api: httpx.AsyncClient) -> None:
    seen = ""
    quoted = 0
    for i in range(12):
        prompt = f"Question {i}: how should I design a resilient cache layer for service {i}?"
        text = (await api.post("/v1/chat/completions", json=chat_body(content=prompt))).json()
        answer = text["choices"][0]["message"]["content"]
        seen += answer
        quoted += f"> {prompt}" in answer
    for marker in ("## ", "\n- ", "|---", "```"):
        assert marker in seen
    assert quoted > 0


async def test_max_tokens_cuts_with_finish_reason_length(api: httpx.AsyncClient) -> None:
    r = (await api.post("/v1/chat/completions", json=chat_body(max_tokens=7))).json()
    assert r["choices"][0]["finish_reason"] == "length"
    assert r["usage"]["completion_tokens"] == 7
    assert await count_tokens(api, PLAIN, prompt=r["choices"][0]["message"]["content"]) == 7


async def test_stop_string_ends_the_answer_without_it(api: httpx.AsyncClient) -> None:
    full = (await api.post("/v1/chat/completions", json=chat_body())).json()["choices"][0]["message"][
        "content"
    ]
    stop = full.split()[3]
    r = (await api.post("/v1/chat/completions", json=chat_body(stop=[stop]))).json()
    choice = r["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["stop_reason"] == stop
    assert choice["message"]["content"] == full[: full.index(stop)]
    assert r["usage"]["completion_tokens"] == await count_tokens(
        api, PLAIN, prompt=choice["message"]["content"]
    )


async def test_n_choices_are_distinct_and_counted(api: httpx.AsyncClient) -> None:
    r = (await api.post("/v1/chat/completions", json=chat_body(n=3))).json()
    texts = [c["message"]["content"] for c in r["choices"]]
    assert [c["index"] for c in r["choices"]] == [0, 1, 2]
    assert len(set(texts)) == 3
    counts = [await count_tokens(api, PLAIN, prompt=t) for t in texts]
    assert r["usage"]["completion_tokens"] == sum(counts)


async def test_token_ids_and_perf_metrics_on_request(api: httpx.AsyncClient) -> None:
    body = chat_body(return_token_ids=True, perf_metrics_in_response=True)
    r = (await api.post("/v1/chat/completions", json=body)).json()
    choice = r["choices"][0]
    tokenized = (await api.post("/tokenize", json={"model": PLAIN, "messages": body["messages"]})).json()
    assert r["prompt_token_ids"] == tokenized["tokens"]
    detok = await api.post("/detokenize", json={"model": PLAIN, "tokens": choice["token_ids"]})
    assert detok.json()["prompt"] == choice["message"]["content"]
    perf = r["perf_metrics"]
    assert {"ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "cached_tokens"} <= set(perf)
    plain = (await api.post("/v1/chat/completions", json=chat_body())).json()
    assert "perf_metrics" not in plain and "prompt_token_ids" not in plain


async def test_json_response_format_returns_json(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/chat/completions", json=chat_body(response_format={"type": "json_object"}))
    assert isinstance(json.loads(r.json()["choices"][0]["message"]["content"]), dict)


# ---- reasoning ----


async def test_reasoning_model_fills_reasoning_and_counts_it(api: httpx.AsyncClient) -> None:
    r = (await api.post("/v1/chat/completions", json=chat_body(REASONING, max_tokens=4000))).json()
    message, usage = r["choices"][0]["message"], r["usage"]
    reasoning_tokens = await count_tokens(api, REASONING, prompt=message["reasoning"])
    content_tokens = await count_tokens(api, REASONING, prompt=message["content"])
    assert message["reasoning"] and message["content"]
    assert usage["reasoning_tokens"] == reasoning_tokens
    assert usage["completion_tokens"] == reasoning_tokens + content_tokens


async def test_think_tag_model_puts_reasoning_in_content(api: httpx.AsyncClient) -> None:
    r = (await api.post("/v1/chat/completions", json=chat_body(THINK_TAGS))).json()
    message, usage = r["choices"][0]["message"], r["usage"]
    assert message["content"].startswith("<think>\n")
    assert "</think>\n\n" in message["content"]
    assert "reasoning" not in message
    assert usage["completion_tokens"] == await count_tokens(api, THINK_TAGS, prompt=message["content"])
    assert 0 < usage["reasoning_tokens"] < usage["completion_tokens"]


async def test_streamed_reasoning_arrives_before_content(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/chat/completions", json=chat_body(REASONING, stream=True))
    kinds = [next(iter(p["choices"][0]["delta"]), None) for p in sse_payloads(r.text)[1:-1] if p["choices"]]
    first_content = kinds.index("content")
    assert "reasoning" in kinds[:first_content]
    assert "reasoning" not in kinds[first_content:]


# ---- streaming framing ----


async def test_chat_stream_framing_and_usage(api: httpx.AsyncClient) -> None:
    body = chat_body(stream=True, stream_options={"include_usage": True})
    r = await api.post("/v1/chat/completions", json=body)
    assert r.headers["content-type"].startswith("text/event-stream")
    payloads = sse_payloads(r.text)
    assert payloads[-1] == "[DONE]"
    chunks = payloads[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    plain = (await api.post("/v1/chat/completions", json=chat_body())).json()
    assert text == plain["choices"][0]["message"]["content"]
    assert chunks[-1]["usage"]["completion_tokens"] == plain["usage"]["completion_tokens"]
    assert "\n\n" in r.text and r.text.endswith("data: [DONE]\n\n")


async def test_stream_without_include_usage_has_no_usage_chunk(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/chat/completions", json=chat_body(stream=True))
    assert not any("usage" in p for p in sse_payloads(r.text)[:-1])


# ---- tool calls ----


async def test_tool_call_when_the_prompt_asks(api: httpx.AsyncClient) -> None:
    body = chat_body(content="What is the weather in Paris today?", tools=[WEATHER_TOOL], tool_choice="auto")
    r = (await api.post("/v1/chat/completions", json=body)).json()
    choice = r["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert choice["message"]["content"] is None


async def test_no_tool_call_when_unrelated_or_disabled(api: httpx.AsyncClient) -> None:
    unrelated = chat_body(content="Write a haiku about autumn", tools=[WEATHER_TOOL])
    assert (await api.post("/v1/chat/completions", json=unrelated)).json()["choices"][0][
        "finish_reason"
    ] == "stop"
    off = chat_body(content="Weather in Paris?", tools=[WEATHER_TOOL], tool_choice="none")
    assert (await api.post("/v1/chat/completions", json=off)).json()["choices"][0]["finish_reason"] == "stop"


async def test_forced_tool_choice_calls_the_named_tool(api: httpx.AsyncClient) -> None:
    other = {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }
    body = chat_body(
        content="Write a haiku",
        tools=[WEATHER_TOOL, other],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
    )
    calls = (await api.post("/v1/chat/completions", json=body)).json()["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["lookup"]


async def test_tool_result_gets_a_text_answer_quoting_it(api: httpx.AsyncClient) -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C and sunny"},
    ]
    body = {"model": PLAIN, "messages": messages, "tools": [WEATHER_TOOL]}
    choice = (await api.post("/v1/chat/completions", json=body)).json()["choices"][0]
    assert choice["finish_reason"] == "stop" and "18 C and sunny" in choice["message"]["content"]


async def test_streamed_tool_call_fragments_join_by_index(api: httpx.AsyncClient) -> None:
    body = chat_body(content="Weather in Paris?", tools=[WEATHER_TOOL], stream=True)
    chunks = sse_payloads((await api.post("/v1/chat/completions", json=body)).text)[:-1]
    fragments = [
        c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if "tool_calls" in c["choices"][0]["delta"]
    ]
    first = fragments[0]
    assert (
        first["index"] == 0
        and first["id"].startswith("call_")
        and first["function"] == {"name": "get_weather", "arguments": ""}
    )
    assert all("function" in f and f["index"] == 0 for f in fragments)
    assert len(fragments) > 2
    assert json.loads("".join(f["function"]["arguments"] for f in fragments)) == {"city": "Paris"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


# ---- KV cache ----


async def test_repeated_prefix_reports_cached_tokens_in_blocks(api: httpx.AsyncClient) -> None:
    system = {"role": "system", "content": "You are a meticulous assistant. " * 20}
    first = {"model": PLAIN, "messages": [system, {"role": "user", "content": "First question?"}]}
    second = {"model": PLAIN, "messages": [system, {"role": "user", "content": "Another one entirely"}]}
    cold = (await api.post("/v1/chat/completions", json=first)).json()["usage"]
    warm = (await api.post("/v1/chat/completions", json=second)).json()["usage"]
    assert cold["prompt_tokens_details"]["cached_tokens"] == 0
    cached = warm["prompt_tokens_details"]["cached_tokens"]
    system_only = await count_tokens(api, PLAIN, messages=[system], add_generation_prompt=False)
    assert cached % CACHE_BLOCK == 0
    assert system_only - CACHE_BLOCK < cached <= system_only + CACHE_BLOCK
    isolated = {**second, "prompt_cache_isolation_key": "tenant-b"}
    assert (await api.post("/v1/chat/completions", json=isolated)).json()["usage"]["prompt_tokens_details"][
        "cached_tokens"
    ] == 0


async def test_cache_is_per_surface(state: EmulatorState) -> None:
    body = chat_body(ON_DEMAND_MODELS[0], "same prompt " * 30)
    async with client_for(state, "on_demand", **AUTH, **{"X-User-Id": DEMO_USER_ID}) as od:
        await od.post("/v1/chat/completions", json=body)
        again = (await od.post("/v1/chat/completions", json=body)).json()["usage"]
    async with client_for(state, "on_demand", **AUTH, **{"X-User-Id": DEMO_USER_ID}) as fresh_app:
        fresh = (await fresh_app.post("/v1/chat/completions", json=body)).json()["usage"]
    assert again["prompt_tokens_details"]["cached_tokens"] > 0
    assert fresh["prompt_tokens_details"]["cached_tokens"] == 0


def test_cached_prefix_shortens_time_to_first_token() -> None:
    pacing = Pacing(ttft_s=1.0, cache_ttft_factor=0.3)
    assert Pacer(pacing, 0.0).ttft_s == pytest.approx(1.0)
    assert Pacer(pacing, 1.0).ttft_s == pytest.approx(0.7)
    assert Pacer(pacing, 0.5).ttft_s == pytest.approx(0.85)
    assert Pacer(Pacing(unthrottled=True), 0.0).ttft_s == 0


def test_high_rates_batch_several_tokens_per_chunk() -> None:
    assert Pacer(Pacing(tokens_per_s=500)).tokens_per_chunk > 1
    assert Pacer(Pacing(tokens_per_s=20)).tokens_per_chunk == 1
    assert Pacer(Pacing(tokens_per_s=5000, unthrottled=True)).tokens_per_chunk == 1


# ---- completions ----


async def test_completions_usage_and_stop(api: httpx.AsyncClient) -> None:
    body = {"model": PLAIN, "prompt": "Once upon a time", "max_tokens": 200}
    r = (await api.post("/v1/completions", json=body)).json()
    text = r["choices"][0]["text"]
    assert r["object"] == "text_completion"
    assert r["usage"]["prompt_tokens"] == await count_tokens(api, PLAIN, prompt="Once upon a time")
    assert r["usage"]["completion_tokens"] == await count_tokens(api, PLAIN, prompt=text)
    stopped = (await api.post("/v1/completions", json={**body, "stop": "."})).json()["choices"][0]
    assert stopped["finish_reason"] == "stop" and stopped["text"] == text[: text.index(".")]


async def test_completions_accept_prompt_lists_and_token_ids(api: httpx.AsyncClient) -> None:
    ids = (await api.post("/tokenize", json={"model": PLAIN, "prompt": "Hello"})).json()["tokens"]
    r = (
        await api.post("/v1/completions", json={"model": PLAIN, "prompt": ["Hello", "Bye"], "max_tokens": 5})
    ).json()
    assert [c["index"] for c in r["choices"]] == [0, 1]
    by_ids = (await api.post("/v1/completions", json={"model": PLAIN, "prompt": ids, "max_tokens": 5})).json()
    assert by_ids["choices"][0]["text"] == r["choices"][0]["text"]


async def test_completions_stream(api: httpx.AsyncClient) -> None:
    body = {
        "model": PLAIN,
        "prompt": "Once",
        "max_tokens": 12,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    payloads = sse_payloads((await api.post("/v1/completions", json=body)).text)
    assert payloads[-1] == "[DONE]"
    text = "".join(p["choices"][0]["text"] for p in payloads[:-2])
    assert payloads[-3]["choices"][0]["finish_reason"] == "length"
    assert payloads[-2]["usage"]["completion_tokens"] == 12 == await count_tokens(api, PLAIN, prompt=text)


# ---- Responses API ----


async def test_responses_non_stream_shape(api: httpx.AsyncClient) -> None:
    body = {
        "model": REASONING,
        "input": [{"role": "user", "content": "Say hello in French."}],
        "instructions": "Be brief.",
    }
    r = (await api.post("/v1/responses", json=body)).json()
    assert r["object"] == "response" and r["status"] == "completed" and r["id"].startswith("resp_")
    kinds = [item["type"] for item in r["output"]]
    assert kinds == ["reasoning", "message"]
    message = r["output"][1]
    assert message["role"] == "assistant" and message["content"][0]["type"] == "output_text"
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello in French."},
    ]
    assert r["usage"]["input_tokens"] == await count_tokens(api, REASONING, messages=messages)
    assert r["usage"]["total_tokens"] == r["usage"]["input_tokens"] + r["usage"]["output_tokens"]


@pytest.mark.parametrize(
    "earlier_answer",
    [
        {"role": "assistant", "content": "Bonjour!"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Bonjour!"}]},
    ],
    ids=["short-form", "message-item"],
)
async def test_responses_multi_turn_accepts_both_assistant_forms(
    api: httpx.AsyncClient, earlier_answer: dict[str, Any]
) -> None:
    turns = [
        {"role": "user", "content": "Say hello in French."},
        earlier_answer,
        {"role": "user", "content": "Again"},
    ]
    r = await api.post("/v1/responses", json={"model": PLAIN, "input": turns})
    assert r.status_code == 200, r.text
    as_chat = [turns[0], {"role": "assistant", "content": "Bonjour!"}, turns[2]]
    assert r.json()["usage"]["input_tokens"] == await count_tokens(api, PLAIN, messages=as_chat)


async def test_responses_max_output_tokens_is_incomplete(api: httpx.AsyncClient) -> None:
    r = (
        await api.post("/v1/responses", json={"model": PLAIN, "input": "Hi there", "max_output_tokens": 3})
    ).json()
    assert r["status"] == "incomplete" and r["incomplete_details"] == {"reason": "max_output_tokens"}
    assert r["usage"]["output_tokens"] == 3


async def test_responses_stream_uses_openai_event_names(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/responses", json={"model": PLAIN, "input": "Say hello", "stream": True})
    events = [line.removeprefix("event: ") for line in r.text.splitlines() if line.startswith("event: ")]
    assert events[0] == "response.created" and events[-1] == "response.completed"
    assert "response.output_text.delta" in events and "response.output_item.done" in events
    payloads = sse_payloads(r.text)
    assert payloads[-1] == "[DONE]"
    deltas = "".join(p["delta"] for p in payloads[:-1] if p["type"] == "response.output_text.delta")
    final = payloads[-2]["response"]
    assert final["output"][0]["content"][0]["text"] == deltas
    assert [p["sequence_number"] for p in payloads[:-1]] == list(range(len(payloads) - 1))


async def test_responses_function_call(api: httpx.AsyncClient) -> None:
    tool = {"type": "function", "name": "get_weather", "parameters": WEATHER_TOOL["function"]["parameters"]}
    body = {"model": PLAIN, "input": "What's the weather in Oslo?", "tools": [tool]}
    output = (await api.post("/v1/responses", json=body)).json()["output"]
    call = next(item for item in output if item["type"] == "function_call")
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Oslo"}
