"""What the Tokenizer section relies on from the emulator's /tokenize: a vLLM-style answer with a visible
chat template and byte-level pieces for split characters."""

from __future__ import annotations

import httpx

from tests.emulator.test_inference_app import PLAIN, api, state  # noqa: F401  (fixtures)


async def test_messages_show_the_chat_template(api: httpx.AsyncClient) -> None:  # noqa: F811
    body = {"model": PLAIN, "messages": [{"role": "user", "content": "Hi"}]}
    r = (await api.post("/tokenize", json=body)).json()
    assert "".join(r["token_strs"]) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert r["count"] == len(r["tokens"]) and r["max_model_len"] == 262_144
    bare = (await api.post("/tokenize", json={**body, "add_generation_prompt": False})).json()
    assert "".join(bare["token_strs"]) == "<|im_start|>user\nHi<|im_end|>\n"


async def test_an_emoji_is_split_into_byte_level_tokens(api: httpx.AsyncClient) -> None:  # noqa: F811
    r = (await api.post("/tokenize", json={"model": PLAIN, "prompt": "a 🦜", "return_token_strs": True})).json()
    assert r["token_strs"] == ["a", " <0xF0><0x9F>", "<0xA6><0x9C>"]
