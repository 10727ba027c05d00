"""Wire models: request bodies, reply parsing, reasoning normalisation, control-plane entities."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from tests.api.helpers import example
from tm_tui.api.models.control_plane import ApiKey, Deployment, TicketsPage, UsageRow, User
from tm_tui.api.models.inference import (
    ChatCompletion,
    ChatCompletionRequest,
    CompletionRequest,
    ReplyMessage,
    ResponseRequest,
    ResponseResult,
)

# --- requests -----------------------------------------------------------------------------------


def test_full_field_reference_request_round_trips():
    wire = example("inference/chat_completions.request.full_field_reference.json")
    body = ChatCompletionRequest.model_validate(wire).to_wire()
    expected = copy.deepcopy(wire)
    del expected["messages"][1]["content"]  # null fields are omitted, content included
    assert body == expected


def test_unset_fields_are_omitted_and_extras_pass_through():
    request = ChatCompletionRequest(
        model="m", messages=[{"role": "user", "content": "hi"}], temperature=0.5, vendor_knob={"a": 1}
    )
    assert request.to_wire() == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.5,
        "vendor_knob": {"a": 1},
    }


@pytest.mark.parametrize("effort", ["high", 2, True])
def test_reasoning_effort_keeps_its_json_type(effort):
    body = ChatCompletionRequest(model="m", messages=[], reasoning_effort=effort).to_wire()
    assert body["reasoning_effort"] == effort and type(body["reasoning_effort"]) is type(effort)


def test_request_examples_validate():
    assert CompletionRequest.model_validate(
        example("inference/completions.request.json")
    ).to_wire() == example("inference/completions.request.json")
    assert ResponseRequest.model_validate(example("inference/responses.request.json")).to_wire() == example(
        "inference/responses.request.json"
    )
    with pytest.raises(ValidationError):
        ChatCompletionRequest.model_validate({"messages": []})


# --- chat replies -------------------------------------------------------------------------------


def test_chat_reply_example():
    reply = ChatCompletion.model_validate(example("inference/chat_completions.response.json"))
    message = reply.message
    assert message.text == "It is 18 °C and partly cloudy in Paris right now."
    assert message.reasoning == "User wants current Paris weather; answer briefly."
    assert (reply.usage.prompt_tokens, reply.usage.cached_tokens) == (41, 32)
    assert reply.perf_metrics["time_to_first_token_ms"] == 182.4
    assert reply.choices[0].token_ids == [791, 374, 220, 972]
    assert reply.request_id is None and reply.latency_s is None


def test_tool_call_reply_example():
    reply = ChatCompletion.model_validate(example("inference/chat_completions.tool_call.response.json"))
    call = reply.message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_9f2c",
        "get_weather",
        '{"city": "Paris"}',
    )
    assert reply.message.content is None and reply.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("missing", ["id", "created", "model"])
def test_chat_reply_required_fields(missing):
    wire = example("inference/chat_completions.response.json")
    del wire[missing]
    with pytest.raises(ValidationError):
        ChatCompletion.model_validate(wire)


@pytest.mark.parametrize(
    ("wire", "content", "reasoning"),
    [
        ({"content": "<think>a</think>\n<think> b </think>\n\nHello"}, "Hello", "a\n\nb"),
        ({"content": "  <think>plan</think>Hi"}, "Hi", "plan"),
        ({"content": "<think>x</think>Hi", "reasoning": "server"}, "Hi", "server"),
        ({"content": "Hi", "reasoning_content": "alt"}, "Hi", "alt"),
        ({"content": "Hi", "reasoning": "main", "reasoning_content": "alt"}, "Hi", "main"),
        ({"content": "<think>cut off by max_tokens"}, "", "cut off by max_tokens"),
        ({"content": "Say <think>x</think> later"}, "Say <think>x</think> later", None),
        ({"content": None}, None, None),
    ],
)
def test_reply_reasoning_normalisation(wire, content, reasoning):
    message = ReplyMessage.model_validate({"role": "assistant", **wire})
    assert (message.content, message.reasoning) == (content, reasoning)


def test_request_messages_are_not_normalised():
    request = ChatCompletionRequest(
        model="m", messages=[{"role": "assistant", "content": "<think>a</think>b"}]
    )
    assert request.to_wire()["messages"][0]["content"] == "<think>a</think>b"


def test_responses_output_text():
    reply = ResponseResult.model_validate(example("inference/responses.response.json"))
    assert reply.output_text == "Bonjour !"
    assert reply.usage.output_tokens == 5
    assert reply.usage.to_usage().total_tokens == 19
    loose = ResponseResult.model_validate(
        {"id": "r", "output": [{"type": "other", "content": [{"type": "x", "text": "t"}]}]}
    )
    assert loose.output_text == "t"
    with pytest.raises(ValidationError):
        ResponseResult.model_validate({"output": []})


# --- control-plane entities ---------------------------------------------------------------------


def test_uint64_strings_become_ints():
    rows = [
        UsageRow.model_validate(r)
        for r in example("control_plane/billing_serverless_usage_history.response.json")["rows"]
    ]
    assert (rows[0].input_tokens, rows[0].cached_tokens, rows[0].request_count) == (120433, 64000, 87)
    assert TicketsPage.model_validate(example("control_plane/support_tickets_list.response.json")).total == 1


def test_user_drops_an_api_key_and_keeps_unknown_fields():
    user = User.model_validate({"id": "u", "apiKey": "sk-secret", "newField": 1})
    assert "sk-secret" not in repr(user) and "apiKey" not in (user.model_extra or {})
    assert user.model_extra == {"newField": 1}


def test_secrets_stay_out_of_repr():
    key = ApiKey.model_validate(example("control_plane/users_api_keys_create.response.json")["apiKey"])
    assert key.id == "tmk_live_5e6f7a8b9c0d1e2f" and key.id not in repr(key)
    deployment = Deployment.model_validate(example("control_plane/models_get.response.json")["model"])
    assert deployment.api_key and deployment.api_key not in repr(deployment)
    assert deployment.inference_name == "ada-llama-8b"
    assert deployment.infra.cloud_provider == "CLOUD_PROVIDER_NEBIUS"


# --- model cards from other OpenAI-compatible servers -------------------------------------------


@pytest.mark.parametrize(
    ("extra", "served", "trained"),
    [
        ({"max_model_len": 32768}, 32768, None),  # vLLM / Tensormesh
        ({"meta": {"n_ctx": 2048, "n_ctx_train": 8192}}, 2048, 8192),  # llama-server
        ({"meta": {"n_ctx_train": 8192}}, None, 8192),
        ({"meta": "odd", "max_model_len": "big"}, None, None),  # odd values never fail the list
        ({"meta": {"n_ctx": True, "n_ctx_train": -1}}, None, None),
    ],
)
def test_model_card_context_from_any_server(extra, served, trained):
    from tm_tui.api.models.inference import ModelList

    models = ModelList.model_validate({"object": "list", "data": [{"id": "m", **extra}]})
    assert (models.data[0].context_length, models.data[0].trained_context) == (served, trained)
