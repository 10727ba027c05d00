"""The tolerant tokenizer client against a vLLM-style server and a llama.cpp-style one (respx)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.helpers import SERVERLESS
from tm_tui.api.errors import NetworkError, ProtocolError, ServerError
from tm_tui.api.inference import make_inference_client
from tm_tui.api.models.inference import ModelCard
from tm_tui.api.token_pieces import pieces_from_strs
from tm_tui.api.tokenizer import (
    NoTokenizer,
    ServerKind,
    TokenizerClient,
    UnknownModel,
    card_context_length,
)

MODEL = "m"


@pytest.fixture
def tokenizer(http: httpx.AsyncClient) -> TokenizerClient:
    return TokenizerClient(make_inference_client(http, SERVERLESS, "key"))


def _llama_tokenize(request: httpx.Request) -> httpx.Response:
    """llama-server: `content` with pieces; a `prompt` gets an empty list and no error."""
    body = json.loads(request.content)
    if "content" not in body:
        return httpx.Response(200, json={"tokens": []})
    pieces = [{"id": 1, "piece": "Hi"}, {"id": 2, "piece": [240, 159]}, {"id": 3, "piece": [152, 128]}]
    return httpx.Response(200, json={"tokens": pieces if body.get("with_pieces") else [1, 2, 3]})


async def test_vllm_style_answer(router, tokenizer):
    route = router.post(f"{SERVERLESS}/tokenize").respond(
        200, json={"tokens": [5, 6], "count": 2, "max_model_len": 4096, "token_strs": ["Hello", " world"]}
    )
    result = await tokenizer.tokenize(MODEL, text="Hello world")
    assert result.kind is ServerKind.VLLM and tokenizer.kind is ServerKind.VLLM
    assert result.ids == [5, 6] and result.pieces == [b"Hello", b" world"] and result.max_model_len == 4096
    assert json.loads(route.calls[0].request.content) == {
        "model": MODEL,
        "prompt": "Hello world",
        "return_token_strs": True,
    }


async def test_llama_cpp_is_detected_from_an_empty_answer(router, tokenizer):
    route = router.post(f"{SERVERLESS}/tokenize").mock(side_effect=_llama_tokenize)
    result = await tokenizer.tokenize(MODEL, text="Hi😀")
    assert result.kind is ServerKind.LLAMA
    assert result.ids == [1, 2, 3]
    assert result.pieces == [b"Hi", b"\xf0\x9f", b"\x98\x80"]
    assert json.loads(route.calls[1].request.content)["content"] == "Hi😀"
    await tokenizer.tokenize(MODEL, text="again")  # remembered: straight to `content`
    assert "content" in json.loads(route.calls[-1].request.content) and route.call_count == 3


async def test_llama_cpp_chat_goes_through_apply_template(router, tokenizer):
    router.post(f"{SERVERLESS}/tokenize").mock(side_effect=_llama_tokenize)
    template = router.post(f"{SERVERLESS}/apply-template").respond(
        200, json={"prompt": "<|im_start|>user\nHi"}
    )
    result = await tokenizer.tokenize(MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert result.kind is ServerKind.LLAMA and result.rendered == "<|im_start|>user\nHi"
    assert json.loads(template.calls[0].request.content)["messages"] == [{"role": "user", "content": "Hi"}]


async def test_detokenize_reads_prompt_or_content(router, tokenizer):
    router.post(f"{SERVERLESS}/detokenize").mock(
        side_effect=[httpx.Response(200, json={"prompt": "a"}), httpx.Response(200, json={"content": "b"})]
    )
    assert await tokenizer.detokenize(MODEL, [1]) == "a"
    assert await tokenizer.detokenize(MODEL, [1]) == "b"


async def test_without_token_strs_each_id_is_detokenized(router, tokenizer):
    router.post(f"{SERVERLESS}/tokenize").respond(200, json={"tokens": [7, 8]})
    router.post(f"{SERVERLESS}/detokenize").mock(
        side_effect=lambda r: httpx.Response(
            200, json={"prompt": {7: "ab", 8: "c"}[json.loads(r.content)["tokens"][0]]}
        )
    )
    assert (await tokenizer.tokenize(MODEL, text="abc")).pieces == [b"ab", b"c"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": {
                    "message": "The model `m` does not exist.",
                    "code": "model_not_found",
                    "param": "model",
                }
            },
            UnknownModel,
        ),
        ({"detail": "Not Found"}, NoTokenizer),
    ],
)
async def test_404_says_whether_the_model_or_the_route_is_missing(router, tokenizer, body, expected):
    router.post(f"{SERVERLESS}/tokenize").respond(404, json=body)
    router.post(f"{SERVERLESS}/apply-template").respond(404, json=body)
    with pytest.raises(expected):
        await tokenizer.tokenize(MODEL, text="x")


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="not json at all"),
        httpx.Response(200, json={"tokens": "12"}),
        httpx.Response(200, json=[1, 2]),
    ],
)
async def test_malformed_replies_are_protocol_errors(router, tokenizer, reply):
    tokenizer.kind = ServerKind.VLLM
    router.post(f"{SERVERLESS}/tokenize").mock(return_value=reply)
    with pytest.raises(ProtocolError):
        await tokenizer.tokenize(MODEL, text="x")


async def test_no_tokens_from_either_kind_is_never_zero_tokens(router, tokenizer):
    router.post(f"{SERVERLESS}/tokenize").respond(200, json={"tokens": []})
    with pytest.raises(ProtocolError, match="no tokens"):
        await tokenizer.tokenize(MODEL, text="some text")


async def test_server_and_network_errors_pass_through(router, tokenizer):
    route = router.post(f"{SERVERLESS}/tokenize").mock(
        side_effect=[
            httpx.Response(500, json={"error": {"message": "boom"}}),
            httpx.ConnectError("refused"),
            httpx.ConnectError("refused"),
        ]
    )
    with pytest.raises(ServerError):
        await tokenizer.tokenize(MODEL, text="x")
    with pytest.raises(NetworkError):
        await tokenizer.tokenize(MODEL, text="x")
    assert route.call_count == 3  # a network error is tried once more, then reported


async def test_a_dropped_keep_alive_connection_is_retried_once(router, tokenizer):
    router.post(f"{SERVERLESS}/tokenize").mock(
        side_effect=[
            httpx.ReadError("closed"),
            httpx.Response(200, json={"tokens": [1], "token_strs": ["x"]}),
        ]
    )
    assert (await tokenizer.tokenize(MODEL, text="x")).ids == [1]


async def test_attribution_splits_a_chat_into_messages_and_template(router, tokenizer):
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "prompt" in body:  # content alone: one token per word
            return httpx.Response(200, json={"tokens": list(range(len(body["prompt"].split())))})
        n = sum(2 + len(m["content"].split()) for m in body["messages"])  # 2 template tokens each
        n += 3 if body["add_generation_prompt"] else 0
        return httpx.Response(200, json={"tokens": list(range(n))})

    router.post(f"{SERVERLESS}/tokenize").mock(side_effect=answer)
    chat = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there you"}]
    result = await tokenizer.attribution(MODEL, chat)
    assert [(m.role, m.content_tokens, m.added_tokens) for m in result.messages] == [
        ("system", 2, 4),
        ("user", 3, 5),
    ]
    assert result.generation_prompt == 3 and result.total == 12 and result.template_tokens == 7


async def test_server_context_length_from_props(router, tokenizer):
    router.get(f"{SERVERLESS}/props").respond(200, json={"default_generation_settings": {"n_ctx": 2048}})
    assert await tokenizer.server_context_length() == 2048


def test_context_length_from_model_cards():
    assert card_context_length(ModelCard.model_validate({"id": "a", "max_model_len": 8192})) == 8192
    assert (
        card_context_length(
            ModelCard.model_validate({"id": "b", "meta": {"n_ctx_train": 8192, "n_ctx": 2048}})
        )
        == 2048
    )
    assert card_context_length(ModelCard.model_validate({"id": "c"})) is None


@pytest.mark.parametrize(
    ("strs", "text", "expected"),
    [
        (["Hi", " <0xF0><0x9F>", "<0x98><0x80>"], "Hi 😀", [b"Hi", b" \xf0\x9f", b"\x98\x80"]),
        (["\u2581Hello", "\u2581world"], " Hello world", [b" Hello", b" world"]),
        (
            ["Hello", "Ġworld", "ĠðŁĺ", "Ģ"],
            "Hello world 😀",
            [b"Hello", b" world", b" \xf0\x9f\x98", b"\x80"],
        ),
    ],
)
def test_token_strs_spellings(strs, text, expected):
    assert pieces_from_strs(strs, text) == expected
