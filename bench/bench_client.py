"""Chat SSE decoding speed: `InferenceClient.stream_chat` against the official `tensormesh` SDK (async),
`openai` (async) and a raw httpx `aiter_lines` + `json.loads` reader, all reading the same body.

    .venv/bin/python bench/bench_client.py [--chunks 5000] [--rounds 7] [--tiny] [--json FILE]

A replay server on 127.0.0.1 (a separate process, so serving never competes with the readers for
the GIL) answers every POST with one pre-built `text/event-stream` body of `--chunks` vLLM-shaped
content chunks, a finish chunk, a usage chunk and `[DONE]`. Each reader consumes the whole stream
and touches every content delta. Readers take turns within each round (the order rotates) so
background load hits all alike. The figure is chunks per second of this process's CPU time
(median over rounds): on a shared machine wall time also counts the time spent waiting for a
core, which swamps what decoding costs (wall-clock rates are printed beside it). The ratio is the
median over rounds of each round's ratio to the raw reader. Goal: `stream_chat` >= 0.9x raw. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
MESSAGES = [{"role": "user", "content": "Tell me a long story."}]
GOAL_RATIO = 0.9
WORDS = [
    "The",
    " quick",
    " brown",
    " fox",
    " jumps",
    " over",
    " the",
    " lazy",
    " dog",
    ".",
    "\n\n",
    " é",
    " 😀",
]


def sse_body(chunks: int) -> bytes:
    """What vLLM sends for a streamed chat completion with `include_usage`."""
    head = {
        "id": "chatcmpl-bench0123456789",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
    }

    def event(delta: dict, finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return "data: " + json.dumps({**head, "choices": [choice]}, ensure_ascii=False) + "\n\n"

    parts = [event({"role": "assistant", "content": ""})]
    parts += [event({"content": WORDS[i % len(WORDS)]}) for i in range(chunks)]
    parts.append(event({}, "stop"))
    usage = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": chunks + 12}
    parts.append("data: " + json.dumps({**head, "choices": [], "usage": usage}) + "\n\n")
    parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


# --- the replay server (runs in its own process: `bench_client.py --serve N`) ------------------------


async def serve(chunks: int) -> None:
    body = sse_body(chunks)
    # Chunked transfer in 16 KiB pieces, as a proxy in front of a fast server delivers it.
    pieces = [body[i : i + 16384] for i in range(0, len(body), 16384)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"transfer-encoding: chunked\r\nx-request-id: req_bench\r\ncache-control: no-cache\r\n\r\n"
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in request.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(head + framed)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until the benchmark closes our stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# --- the readers: each returns the number of content deltas it saw ----------------------------------

type Reader = Callable[[], Awaitable[int]]


async def make_readers(base_url: str, stack: list[Callable[[], Awaitable[object]]]) -> dict[str, Reader]:
    from openai import AsyncOpenAI
    from tensormesh import AsyncTensormesh

    from tm_tui.api.inference import make_inference_client
    from tm_tui.api.models.inference import ChatCompletionRequest
    from tm_tui.api.stream_events import TextDelta

    http = httpx.AsyncClient()
    stack.append(http.aclose)
    ours = make_inference_client(http, base_url, "bench-key")

    async def tm_tui_reader() -> int:
        count = 0
        request = ChatCompletionRequest(model=MODEL, messages=MESSAGES)
        async with ours.stream_chat(request) as stream:
            async for event in stream:
                if type(event) is TextDelta:
                    count += 1
        return count

    raw_http = httpx.AsyncClient()
    stack.append(raw_http.aclose)
    body = {"model": MODEL, "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}

    async def raw_reader() -> int:
        count = 0
        async with raw_http.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    for choice in json.loads(line[6:])["choices"]:
                        if choice["delta"].get("content"):
                            count += 1
        return count

    sdk = AsyncTensormesh(
        inference_api_key="bench-key", serverless_base_url=base_url, control_plane_base_url=base_url, env={}
    )
    stack.append(sdk.close)

    openai = AsyncOpenAI(base_url=f"{base_url}/v1", api_key="bench-key", max_retries=0)
    stack.append(openai.close)

    return {
        "raw httpx aiter_lines + json.loads": raw_reader,
        "InferenceClient.stream_chat": tm_tui_reader,
        "tensormesh SDK (async)": _sdk_style_reader(sdk.inference.serverless.chat.completions.create),
        "openai (async)": _sdk_style_reader(openai.chat.completions.create),
    }


def _sdk_style_reader(create: Callable[..., Awaitable[Any]]) -> Reader:
    """A reader for an OpenAI-style client: `await create(..., stream=True)`, then chunk objects."""

    async def read() -> int:
        count = 0
        stream = await create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    count += 1
        return count

    return read


type Rates = dict[str, list[float]]


async def measure(base_url: str, chunks: int, rounds: int) -> tuple[Rates, Rates]:
    """Chunks per second of wall time and of this process's CPU time, per reader and round."""
    closers: list[Callable[[], Awaitable[object]]] = []
    try:
        readers = await make_readers(base_url, closers)
        names = list(readers)
        for name in names:  # warm up: connections, imports, caches
            seen = await readers[name]()
            if seen != chunks:
                raise RuntimeError(f"{name} saw {seen} content deltas, expected {chunks}")
        wall: Rates = {name: [] for name in names}
        cpu: Rates = {name: [] for name in names}
        for round_no in range(rounds):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                started, started_cpu = time.perf_counter(), time.process_time()
                await readers[name]()
                cpu[name].append(chunks / max(time.process_time() - started_cpu, 1e-6))
                wall[name].append(chunks / (time.perf_counter() - started))
        return wall, cpu
    finally:
        for close in reversed(closers):
            await close()


def _paired_ratio(values: list[float], baselines: list[float]) -> float:
    return statistics.median(value / base for value, base in zip(values, baselines, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.chunks, args.rounds = 50, 1
    if args.serve:
        asyncio.run(serve(args.chunks))
        return

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--chunks", str(args.chunks)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        wall, rates = asyncio.run(measure(f"http://127.0.0.1:{port}", args.chunks, args.rounds))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)

    raw_name = next(iter(rates))
    raw = statistics.median(rates[raw_name])
    print(f"chat SSE decoding: {args.chunks} chunks from a replay server, {args.rounds} rounds")
    print(f"{'reader':38}{'per CPU s':>10}{'min':>9}{'max':>9}{'vs raw':>8}{'wall/s':>9}{'vs raw':>8}")
    figures = []
    for name, values in rates.items():
        # Each round's ratio to the raw reader's run beside it: load hits both alike.
        ratio = _paired_ratio(values, rates[raw_name])
        print(
            f"{name:38}{statistics.median(values):10.0f}{min(values):9.0f}{max(values):9.0f}{ratio:8.2f}"
            f"{statistics.median(wall[name]):9.0f}{_paired_ratio(wall[name], wall[raw_name]):8.2f}"
        )
        if name != raw_name:
            ours = name == "InferenceClient.stream_chat"
            figures.append(
                Figure(
                    f"chat SSE decoding, {name}",
                    statistics.median(values),
                    "chunks/CPU-s",
                    baseline=raw,
                    baseline_name=raw_name,
                    goal=f">= {GOAL_RATIO}x" if ours else "",
                    higher_is_better=True,
                    paired_ratio=ratio,
                )
            )
    ours_ratio = next(f.ratio for f in figures if f.figure.endswith("InferenceClient.stream_chat"))
    verdict = "meets" if ours_ratio >= GOAL_RATIO else "misses"
    print(
        f"stream_chat {ours_ratio:.2f}x raw (median of per-round ratios): {verdict} the goal of {GOAL_RATIO}x"
    )
    write_figures(args, figures)


if __name__ == "__main__":
    main()
