"""The inference surfaces served by uvicorn, with the `openai` package and the official SDK as referees."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from tensormesh import StreamError, Tensormesh
from tensormesh.types import ChatMessage

from tm_tui.emulator.server import RunningEmulator, run_emulator
from tm_tui.emulator.state import EmulatorState, Pacing

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
THINK_TAGS = "deepseek-ai/DeepSeek-R1-0528"
MESSAGES = [{"role": "user", "content": "Explain how a KV cache speeds up decoding"}]


def openai_client(emulator: RunningEmulator, http: httpx.AsyncClient) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=f"{emulator.serverless_base_url}/v1", api_key=emulator.inference_api_key, http_client=http
    )


async def test_openai_package_chat_completions_and_models(emulator: RunningEmulator) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        client = openai_client(emulator, http)
        models = [m.id async for m in client.models.list()]
        assert MODEL in models

        chat = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=40)
        assert chat.choices[0].message.content and chat.usage is not None
        assert chat.usage.completion_tokens <= 40

        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, max_tokens=40, stream=True, stream_options={"include_usage": True}
        )
        text, usage = "", None
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            usage = chunk.usage or usage
        assert text == chat.choices[0].message.content
        assert usage is not None and usage.completion_tokens == chat.usage.completion_tokens

        completion = await client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=16)
        assert completion.choices[0].text and completion.usage is not None
        assert completion.usage.completion_tokens <= 16


async def test_openai_package_tool_call_stream(emulator: RunningEmulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    async with httpx.AsyncClient(timeout=10) as http:
        client = openai_client(emulator, http)
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Weather in Lima?"}], tools=[tool], stream=True
        )
        arguments, finish = "", None
        async for chunk in stream:
            for call in chunk.choices[0].delta.tool_calls or []:
                arguments += call.function.arguments or ""
            finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls" and json.loads(arguments) == {"city": "Lima"}


async def test_openai_package_sees_status_faults(emulator: RunningEmulator) -> None:
    emulator.state.faults.add("status=429,retry_after=0@serverless:/v1/chat/completions#times=1")
    async with httpx.AsyncClient(timeout=10) as http:
        client = openai_client(emulator, http).with_options(max_retries=0)
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)


def sdk(emulator: RunningEmulator) -> Tensormesh:
    return Tensormesh(
        inference_api_key=emulator.inference_api_key, serverless_base_url=emulator.serverless_base_url
    )


def test_official_sdk_reads_think_tag_streams(emulator: RunningEmulator) -> None:
    with sdk(emulator) as client:
        plain = client.inference.serverless.chat.completions.create(
            model=THINK_TAGS, messages=[ChatMessage(role="user", content="Hi there")]
        )
        stream = client.inference.serverless.chat.completions.create(
            model=THINK_TAGS, messages=[ChatMessage(role="user", content="Hi there")], stream=True
        )
        visible = "".join(stream.text_deltas())
    # The SDK moves the leading <think> block into `reasoning` and hides it from text deltas.
    assert plain.choices[0].message.reasoning
    assert "<think>" not in plain.choices[0].message.content
    assert visible.strip() == plain.choices[0].message.content.strip()


def test_official_sdk_raises_on_a_midstream_error(emulator: RunningEmulator) -> None:
    emulator.state.faults.add("error=3@serverless:/v1/chat/completions#times=1")
    with sdk(emulator) as client:
        stream = client.inference.serverless.chat.completions.create(
            model=MODEL, messages=[ChatMessage(role="user", content="Hi")], stream=True
        )
        with pytest.raises(StreamError):
            list(stream)


async def test_paced_stream_batches_tokens_at_high_rates() -> None:
    state = EmulatorState(pacing=Pacing(ttft_s=0.0, tokens_per_s=500.0))
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 60, "stream": True, "return_token_ids": True}
    with run_emulator(state) as emulator:
        headers = {"Authorization": f"Bearer {emulator.inference_api_key}"}
        async with (
            httpx.AsyncClient(base_url=emulator.serverless_base_url, headers=headers, timeout=10) as client,
            client.stream("POST", "/v1/chat/completions", json=body) as r,
        ):
            sizes = [
                len(json.loads(line[6:])["choices"][0].get("token_ids", []))
                async for line in r.aiter_lines()
                if line.startswith("data: {")
            ]
    content_sizes = [n for n in sizes if n]
    assert sum(content_sizes) == 60
    assert max(content_sizes) > 1  # several tokens per chunk, so 500 tok/s is reachable
