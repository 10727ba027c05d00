"""InferenceClient against respx routes that answer with the shared example payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.helpers import ON_DEMAND, SERVERLESS, USER_ID, example, example_text, sent_json
from tm_tui.api import errors
from tm_tui.api.inference import InferenceClient, canonical_user_id, make_inference_client
from tm_tui.api.models.inference import ChatCompletionRequest, CompletionRequest, Message, ResponseRequest
from tm_tui.api.transport import Transport

MODEL = "MiniMaxAI/MiniMax-M2.5"


@pytest.fixture
def serverless(http, sleep) -> InferenceClient:
    return make_inference_client(http, SERVERLESS, "sk-serverless", "serverless", max_retries=3, sleep=sleep)


@pytest.fixture
def on_demand(http) -> InferenceClient:
    return make_inference_client(http, ON_DEMAND + "/", "sk-dep", "on_demand", USER_ID.upper())


def chat_request() -> ChatCompletionRequest:
    wire = example("inference/chat_completions.request.json")
    return ChatCompletionRequest.model_validate(wire)


@dataclass
class Case:
    name: str
    call: Callable[[InferenceClient], Awaitable[Any]]
    method: str
    path: str
    reply: str
    body: Any
    check: Callable[[Any], bool]


def _chat_body() -> dict[str, Any]:
    body = example("inference/chat_completions.request.json")
    del body["stream"]  # a one-shot call omits `stream`, and keeps everything else verbatim
    return body


CASES = [
    Case(
        "chat",
        lambda c: c.chat(chat_request()),
        "POST",
        "/v1/chat/completions",
        "inference/chat_completions.response.json",
        _chat_body(),
        lambda r: r.message.text.startswith("It is 18") and r.usage.total_tokens == 78,
    ),
    Case(
        "completion",
        lambda c: c.completion(
            CompletionRequest.model_validate(example("inference/completions.request.json"))
        ),
        "POST",
        "/v1/completions",
        "inference/completions.response.json",
        {k: v for k, v in example("inference/completions.request.json").items() if k != "stream"},
        lambda r: (
            r.choices[0].text == ", a lighthouse keeper found a map." and r.usage.completion_tokens == 9
        ),
    ),
    Case(
        "response",
        lambda c: c.response(ResponseRequest.model_validate(example("inference/responses.request.json"))),
        "POST",
        "/v1/responses",
        "inference/responses.response.json",
        {k: v for k, v in example("inference/responses.request.json").items() if k != "stream"},
        lambda r: r.output_text == "Bonjour !" and r.status == "completed",
    ),
    Case(
        "models",
        lambda c: c.models(),
        "GET",
        "/v1/models",
        "inference/models.response.json",
        None,
        lambda r: r.ids == [MODEL, "Qwen/Qwen3-30B-A3B-Instruct-2507"] and r.data[0].owned_by == "tensormesh",
    ),
    Case(
        "tokenize prompt",
        lambda c: c.tokenize(MODEL, prompt="Hello world"),
        "POST",
        "/tokenize",
        "inference/tokenize.response.json",
        example("inference/tokenize.request.json"),
        lambda r: (
            r.tokens == [9707, 1879] and r.token_strs == ["Hello", " world"] and r.max_model_len == 196608
        ),
    ),
    Case(
        "tokenize messages",
        lambda c: c.tokenize(MODEL, messages=[Message(role="user", content="Hello world")]),
        "POST",
        "/tokenize",
        "inference/tokenize.response.json",
        example("inference/tokenize.request.messages.json"),
        lambda r: r.count == 2,
    ),
    Case(
        "detokenize",
        lambda c: c.detokenize(MODEL, (9707, 1879)),
        "POST",
        "/detokenize",
        "inference/detokenize.response.json",
        example("inference/detokenize.request.json"),
        lambda r: r.prompt == "Hello world",
    ),
    Case(
        "health",
        lambda c: c.health(),
        "GET",
        "/health",
        "inference/health.response.json",
        None,
        lambda r: r.status == "ok",
    ),
    Case(
        "version",
        lambda c: c.version(),
        "GET",
        "/version",
        "inference/version.response.json",
        None,
        lambda r: r.version == "0.11.2",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("surface", ["serverless", "on_demand"])
async def test_every_method_on_both_surfaces(router, serverless, on_demand, case: Case, surface: str):
    client = serverless if surface == "serverless" else on_demand
    base, key = (SERVERLESS, "sk-serverless") if surface == "serverless" else (ON_DEMAND, "sk-dep")
    route = router.route(method=case.method, url=base + case.path).respond(
        200, json=example(case.reply), headers={"x-request-id": f"req-{case.name}"}
    )
    result = await case.call(client)

    sent = route.calls.last.request
    assert sent_json(sent) == case.body
    assert sent.headers["Authorization"] == f"Bearer {key}"
    assert ("content-type" in sent.headers) == (case.body is not None)
    if case.body is not None:
        assert sent.headers["Content-Type"] == "application/json"
    if surface == "on_demand":
        assert sent.headers["X-User-Id"] == USER_ID  # canonical lower-case on every call
    else:
        assert "x-user-id" not in sent.headers
    assert case.check(result)
    assert result.request_id == f"req-{case.name}"
    assert result.latency_s is not None and result.latency_s >= 0


def test_user_id_rules(http):
    assert canonical_user_id("{3F8E2A4C1B2D4E5F8A9B0C1D2E3F4A5B}") == USER_ID
    transport = Transport(http, SERVERLESS)
    with pytest.raises(errors.ConfigError, match="needs a user id"):
        InferenceClient(transport, surface="on_demand", user_id=None)
    with pytest.raises(errors.ConfigError, match="not a UUID"):
        InferenceClient(transport, surface="on_demand", user_id="user-123")
    with pytest.raises(errors.ConfigError, match="takes no user id"):
        InferenceClient(transport, surface="serverless", user_id=USER_ID)
    with pytest.raises(errors.ConfigError, match="Unknown"):
        InferenceClient(transport, surface="edge", user_id=None)  # type: ignore[arg-type]


async def test_tokenize_needs_prompt_or_messages(serverless):
    with pytest.raises(ValueError):
        await serverless.tokenize(MODEL)


async def test_a_one_shot_call_never_asks_for_a_stream(router, serverless):
    route = router.post(f"{SERVERLESS}/v1/chat/completions").respond(
        200, json=example("inference/chat_completions.response.json")
    )
    await serverless.chat(ChatCompletionRequest(model=MODEL, messages=[], stream=True))
    assert "stream" not in sent_json(route.calls.last.request)


async def test_reasoning_is_normalised_on_replies(router, serverless):
    reply = example("inference/chat_completions.response.json")
    reply["choices"][0]["message"] = {"role": "assistant", "content": "<think>plan</think>\n\nAnswer"}
    router.post(f"{SERVERLESS}/v1/chat/completions").respond(200, json=reply)
    result = await serverless.chat(chat_request())
    assert (result.message.content, result.message.reasoning) == ("Answer", "plan")


# --- errors -------------------------------------------------------------------------------------


async def test_inference_post_is_never_retried_and_keeps_the_429_details(router, serverless, sleep):
    head, _, body = example_text("errors/inference_429.http.txt").partition("\n\n")
    route = router.post(f"{SERVERLESS}/v1/chat/completions").respond(
        429, content=body.encode(), headers={"Retry-After": "2", "x-request-id": "req_8f1e2d3c"}
    )
    with pytest.raises(errors.RateLimited) as caught:
        await serverless.chat(chat_request())
    assert route.call_count == 1 and sleep.delays == []
    assert (caught.value.retry_after, caught.value.request_id) == (2.0, "req_8f1e2d3c")


async def test_gets_are_retried_with_the_configured_policy(router, serverless, sleep):
    route = router.get(f"{SERVERLESS}/health").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "0.1"}),
            httpx.Response(200, json={"status": "ok"}),
        ]
    )
    assert (await serverless.health()).status == "ok"
    assert route.call_count == 2 and sleep.delays == [0.1]


async def test_context_length_error(router, serverless):
    router.post(f"{SERVERLESS}/v1/chat/completions").respond(
        400, json=example("errors/inference_400_context_length.response.json")
    )
    with pytest.raises(errors.BadRequest, match="maximum context length is 196608"):
        await serverless.chat(chat_request())


async def test_surface_specific_hints(router, serverless, on_demand):
    router.get(f"{SERVERLESS}/v1/models").respond(401, json=example("errors/inference_401.response.json"))
    with pytest.raises(errors.AuthError) as caught:
        await serverless.models()
    assert "control-plane" in caught.value.hint
    router.post(f"{ON_DEMAND}/v1/chat/completions").respond(404, json={"message": "no such model"})
    with pytest.raises(errors.NotFound) as caught:
        await on_demand.chat(chat_request())
    assert "X-User-Id" in caught.value.hint and caught.value.message == "no such model"


@pytest.mark.parametrize(
    ("reply", "where"),
    [
        ({"object": "list"}, "data"),
        ({"data": [{"object": "model"}]}, "data.0.id"),
    ],
)
async def test_wrong_shaped_reply_is_a_protocol_error(router, serverless, reply, where):
    router.get(f"{SERVERLESS}/v1/models").respond(200, json=reply, headers={"x-request-id": "r5"})
    with pytest.raises(errors.ProtocolError, match=where) as caught:
        await serverless.models()
    assert caught.value.request_id == "r5"


async def test_timeout_is_a_typed_error(router, serverless):
    router.post(f"{SERVERLESS}/v1/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.Timeout):
        await serverless.chat(chat_request())


# --- streams ------------------------------------------------------------------------------------


async def test_stream_chat_request_and_decoded_text(router, on_demand):
    route = router.post(f"{ON_DEMAND}/v1/chat/completions").respond(
        200,
        content=example_text("inference/chat_completions.stream.txt").encode(),
        headers={"content-type": "text/event-stream", "x-request-id": "req-s"},
    )
    request = ChatCompletionRequest(model=MODEL, messages=[Message(role="user", content="Hi")])
    async with on_demand.stream_chat(request) as stream:
        async for _ in stream:
            pass
    sent = route.calls.last.request
    assert sent_json(sent) == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert sent.headers["Accept"] == "text/event-stream"
    assert sent.headers["X-User-Id"] == USER_ID
    assert stream.result.content == "Hello! How can I help today?"
    assert stream.result.usage is not None and stream.result.request_id == "req-s"


async def test_stream_chat_keeps_caller_stream_options(router, serverless):
    route = router.post(f"{SERVERLESS}/v1/chat/completions").respond(200, content=b"data: [DONE]\n\n")
    request = ChatCompletionRequest(model=MODEL, messages=[], stream_options={"include_usage": False})
    async with serverless.stream_chat(request) as stream:
        async for _ in stream:
            pass
    assert sent_json(route.calls.last.request)["stream_options"] == {"include_usage": False}


async def test_stream_completion_and_response_bodies(router, serverless):
    completions = router.post(f"{SERVERLESS}/v1/completions").respond(
        200, content=example_text("inference/completions.stream.txt").encode()
    )
    async with serverless.stream_completion(CompletionRequest(model=MODEL, prompt="Once")) as stream:
        async for _ in stream:
            pass
    assert sent_json(completions.calls.last.request) == {"model": MODEL, "prompt": "Once", "stream": True}
    assert stream.result.content

    responses = router.post(f"{SERVERLESS}/v1/responses").respond(200, content=b"data: [DONE]\n\n")
    async with serverless.stream_response(ResponseRequest(model=MODEL, input="Hi")) as stream:
        async for _ in stream:
            pass
    assert sent_json(responses.calls.last.request) == {"model": MODEL, "input": "Hi", "stream": True}


async def test_stream_error_status_is_typed_with_the_surface_hint(router, serverless, on_demand):
    router.post(f"{SERVERLESS}/v1/chat/completions").respond(
        401, json=example("errors/inference_401.response.json")
    )
    with pytest.raises(errors.AuthError, match="Invalid API key") as caught:
        async with serverless.stream_chat(chat_request()):
            pytest.fail("no stream on an error status")
    assert "control-plane" in caught.value.hint
    router.post(f"{ON_DEMAND}/v1/responses").respond(400, json={"message": "bad user"})
    with pytest.raises(errors.BadRequest, match="bad user") as caught:
        async with on_demand.stream_response(ResponseRequest(model=MODEL, input="Hi")):
            pytest.fail("no stream on an error status")
    assert "X-User-Id" in caught.value.hint


def _strict_responses(request: httpx.Request) -> httpx.Response:
    """Like llama-server: an assistant turn must be a `message` item with `output_text` parts."""
    for item in sent_json(request)["input"]:
        parts = item.get("content")
        if item.get("role") == "assistant" and (
            item.get("type") != "message" or not all(p.get("type") == "output_text" for p in parts)
        ):
            return httpx.Response(400, json={"error": {"message": "Cannot determine type of 'item'"}})
    return httpx.Response(200, content=b"data: [DONE]\n\n")


async def test_a_multi_turn_responses_conversation_passes_a_strict_server(router, serverless, tmp_path):
    from tm_tui.chat.conversation import ChatSession
    from tm_tui.chat.metrics import TurnMetrics
    from tm_tui.store.history import HistoryStore, MessageStatus

    route = router.post(f"{SERVERLESS}/v1/responses").mock(side_effect=_strict_responses)
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        session = ChatSession.new(store, model=MODEL, mode="responses")
        session.send("Hi")
        session.begin_reply().add(text="Hello!")  # kept in memory until finished
        session.finish_reply(MessageStatus.COMPLETE, TurnMetrics())
        session.send("Again")
        body = session.request_body()
    async with serverless.stream_response(ResponseRequest.model_validate(body)) as stream:
        async for _ in stream:
            pass
    assert route.calls.last.response.status_code == 200
    assert sent_json(route.calls.last.request)["input"][1]["content"] == [
        {"type": "output_text", "text": "Hello!"}
    ]
