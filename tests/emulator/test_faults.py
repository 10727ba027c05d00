"""Fault injection: the spec syntax, the registry, and every fault mode on the wire."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tm_tui.emulator import faults
from tm_tui.emulator.faults import (
    BAD_UTF8_BYTES,
    DEFAULT_OVERSIZE_BYTES,
    Fault,
    FaultMiddleware,
    FaultRegistry,
    parse_fault,
)
from tm_tui.emulator.inference_app import build_inference_app
from tm_tui.emulator.server import RunningEmulator
from tm_tui.emulator.state import DEMO_INFERENCE_KEY, EmulatorState, Pacing
from tm_tui.emulator.streaming import MIDSTREAM_ERROR

MODEL = "Qwen/Qwen3-30B-A3B-Instruct-2507"
AUTH = {"Authorization": f"Bearer {DEMO_INFERENCE_KEY}"}
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "Explain retries with backoff"}]}
STREAM = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}


# ---- syntax and registry ----


def test_parse_the_documented_example() -> None:
    fault = parse_fault("status=503,retry_after=2@serverless:/v1/chat/completions#times=1")
    assert (fault.surface, fault.path, fault.times) == ("serverless", "/v1/chat/completions", 1)
    assert (fault.status, fault.retry_after) == (503, 2.0)


@pytest.mark.parametrize(
    "spec",
    [
        "latency=0.5",
        "first_byte=1.5@control_plane:/v1/billing/*",
        "reset=5@on_demand:/v1/chat/completions#times=2",
        "error=3,truncate=9@*:*",
        "malformed,oversize=100,bad_utf8,markup=4,method=POST@serverless:*",
    ],
)
def test_spec_round_trips(spec: str) -> None:
    fault = parse_fault(spec)
    assert parse_fault(fault.spec()) == fault


def test_bare_effects_take_defaults() -> None:
    fault = parse_fault("malformed,oversize")
    assert fault.malformed == 0 and fault.oversize == DEFAULT_OVERSIZE_BYTES
    assert (fault.surface, fault.path, fault.times) == ("*", "*", None)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "@serverless",
        "bogus=1",
        "status=abc",
        "status=1000",
        "latency=1@mars",
        "status=500#times=0",
        "status",
    ],
)
def test_bad_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(spec)


def test_match_filters_by_surface_path_and_method_and_counts_times() -> None:
    registry = FaultRegistry()
    once = registry.add("status=500@serverless:/v1/*#times=1")
    always = registry.add(Fault(latency=0.1, method="get"))
    assert [f.id for f in registry.match("on_demand", "POST", "/v1/chat/completions")] == []
    assert [f.id for f in registry.match("serverless", "GET", "/v1/models")] == [once.id, always.id]
    assert [f.id for f in registry.match("serverless", "GET", "/v1/models")] == [always.id]
    assert [f.id for f in registry.list()] == [always.id]
    assert registry.remove(always.id) and not registry.remove(always.id)
    registry.add("markup")
    registry.clear()
    assert registry.list() == []


def test_state_starts_with_an_empty_registry() -> None:
    assert EmulatorState().faults.list() == []


# ---- middleware on a control-plane-like app ----


async def _profile(request: Request) -> JSONResponse:
    return JSONResponse({"user": {"id": "u1", "displayName": "Ada", "email": "ada@example.com"}})


def control_plane_client(registry: FaultRegistry) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/auth/profile", _profile)])
    wrapped = FaultMiddleware(app, registry=registry, surface="control_plane")
    return httpx.AsyncClient(transport=httpx.ASGITransport(wrapped), base_url="http://cp")


async def test_control_plane_status_bodies_are_grpc_shaped() -> None:
    registry = FaultRegistry(["status=403@control_plane:/auth/*#times=1"])
    async with control_plane_client(registry) as client:
        denied = await client.get("/auth/profile")
        ok = await client.get("/auth/profile")
    assert denied.status_code == 403
    assert denied.json() == {"code": 7, "message": denied.json()["message"], "details": []}
    assert denied.headers["x-request-id"]
    assert ok.status_code == 200


async def test_control_plane_body_poisoning_hits_text_fields_only() -> None:
    async with control_plane_client(FaultRegistry(["markup"])) as client:
        user = (await client.get("/auth/profile")).json()["user"]
    assert user["id"] == "u1" and user["email"] == "ada@example.com"
    assert "[bold red]" in user["displayName"] and "\x1b]52;" in user["displayName"]


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replaces asyncio.sleep for the test: records each delay and returns at once."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, result: Any = None) -> Any:
        delays.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(faults.asyncio, "sleep", fake_sleep)
    return delays


async def test_latency_and_slow_first_byte_wait_their_time(recorded_sleeps: list[float]) -> None:
    async with control_plane_client(FaultRegistry(["latency=2.5,first_byte=4"])) as client:
        r = await client.get("/auth/profile")
    assert r.status_code == 200
    assert recorded_sleeps == [2.5, 4.0]


# ---- the inference surfaces ----


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState(pacing=Pacing(unthrottled=True))


@pytest.fixture
async def api(state: EmulatorState) -> AsyncIterator[httpx.AsyncClient]:
    app = build_inference_app(state, surface="serverless")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://e", headers=AUTH
    ) as client:
        yield client


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 503])
async def test_inference_status_faults_have_openai_bodies(
    state: EmulatorState, api: httpx.AsyncClient, status: int
) -> None:
    state.faults.add(f"status={status}@serverless:/v1/chat/*#times=1")
    r = await api.post("/v1/chat/completions", json=CHAT)
    assert r.status_code == status
    assert set(r.json()["error"]) >= {"message", "type", "code"}
    assert r.headers["x-request-id"]
    assert ("retry-after" in r.headers) == (status == 429)
    assert (await api.post("/v1/chat/completions", json=CHAT)).status_code == 200


async def test_retry_after_and_html_502(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("status=503,retry_after=0.5#times=1")
    state.faults.add("status=502@serverless:/v1/models#times=1")
    busy = await api.post("/v1/chat/completions", json=CHAT)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "0.5"
    gateway = await api.get("/v1/models")
    assert gateway.status_code == 502
    assert gateway.headers["content-type"].startswith("text/html") and "<html>" in gateway.text


async def test_fault_for_another_surface_does_not_apply(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("status=500@on_demand:*")
    assert (await api.post("/v1/chat/completions", json=CHAT)).status_code == 200


async def test_faults_apply_once_even_when_wrapped_twice(state: EmulatorState) -> None:
    state.faults.add("status=500#times=1")
    app = FaultMiddleware(
        build_inference_app(state, surface="serverless"), registry=state.faults, surface="serverless"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://e", headers=AUTH
    ) as client:
        assert (await client.get("/health")).status_code == 500
        assert (await client.get("/health")).status_code == 200


async def test_malformed_json_body(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("malformed#times=1")
    r = await api.post("/v1/chat/completions", json=CHAT)
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        r.json()


async def test_oversized_body(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("oversize#times=1")
    r = await api.post("/v1/chat/completions", json=CHAT)
    assert len(r.content) > DEFAULT_OVERSIZE_BYTES
    assert r.json()["choices"][0]["message"]["content"]
    assert len(r.json()["padding"]) == DEFAULT_OVERSIZE_BYTES


async def test_invalid_utf8_in_content(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("bad_utf8#times=1")
    r = await api.post("/v1/chat/completions", json=CHAT)
    assert BAD_UTF8_BYTES in r.content
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")


async def test_markup_and_escapes_in_content(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("markup#times=1")
    content = (await api.post("/v1/chat/completions", json=CHAT)).json()["choices"][0]["message"]["content"]
    for hostile in ("[bold red]", "[link=", "\x1b[31m", "\x1b]52;c;"):
        assert hostile in content


# ---- stream faults ----


def data_lines(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]


def content_tokens(payloads: list[str]) -> int:
    """Tokens delivered, counted from each chunk's token_ids."""
    total = 0
    for raw in payloads:
        chunk = json.loads(raw)
        total += sum(len(c.get("token_ids", [])) for c in chunk.get("choices", []))
    return total


async def test_midstream_error_event_after_k_tokens(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("error=5")
    r = await api.post("/v1/chat/completions", json={**STREAM, "return_token_ids": True})
    lines = data_lines(r.text)
    assert json.loads(lines[-1])["error"]["type"] == "server_error"
    assert "[DONE]" not in lines
    assert content_tokens(lines[:-1]) >= 5
    assert content_tokens(lines[:-2]) < 5


async def test_truncated_stream_has_no_finish_and_no_done(
    state: EmulatorState, api: httpx.AsyncClient
) -> None:
    state.faults.add("truncate=4")
    lines = data_lines(
        (await api.post("/v1/chat/completions", json={**STREAM, "return_token_ids": True})).text
    )
    chunks = [json.loads(line) for line in lines]
    assert "[DONE]" not in lines
    assert all(c["choices"] and c["choices"][0]["finish_reason"] is None for c in chunks)
    assert content_tokens(lines) >= 4


async def test_truncate_past_the_end_still_drops_the_finish(
    state: EmulatorState, api: httpx.AsyncClient
) -> None:
    state.faults.add("truncate=100000")
    lines = data_lines((await api.post("/v1/chat/completions", json=STREAM)).text)
    assert "[DONE]" not in lines
    assert all(json.loads(line)["choices"][0]["finish_reason"] is None for line in lines)


async def test_one_malformed_chunk(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("malformed=3")
    lines = data_lines((await api.post("/v1/chat/completions", json=STREAM)).text)
    broken = []
    for line in lines[:-1]:
        try:
            json.loads(line)
        except json.JSONDecodeError:
            broken.append(line)
    assert len(broken) == 1
    assert lines[-1] == "[DONE]"


async def test_stream_poisoning(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("bad_utf8,markup,oversize=200000")
    r = await api.post("/v1/chat/completions", json=STREAM)
    assert BAD_UTF8_BYTES in r.content
    text = r.content.decode("utf-8", "replace")
    chunks = [json.loads(line) for line in data_lines(text)[:-1]]
    poisoned = [c for c in chunks if "padding" in c]
    assert len(poisoned) == 1 and len(poisoned[0]["padding"]) == 200000
    assert "\x1b]52;c;" in poisoned[0]["choices"][0]["delta"]["content"]


async def test_responses_stream_faults(state: EmulatorState, api: httpx.AsyncClient) -> None:
    state.faults.add("error=2@serverless:/v1/responses")
    r = await api.post("/v1/responses", json={"model": MODEL, "input": "Hello", "stream": True})
    assert json.loads(data_lines(r.text)[-1]) == MIDSTREAM_ERROR


# ---- connection resets need a real server ----


async def test_reset_mid_stream_cuts_the_connection(emulator: RunningEmulator) -> None:
    emulator.state.faults.add("reset=3@serverless:/v1/chat/completions#times=1")
    received = []
    async with httpx.AsyncClient(base_url=emulator.serverless_base_url, headers=AUTH, timeout=10) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("POST", "/v1/chat/completions", json=STREAM) as r:
                assert r.status_code == 200
                async for line in r.aiter_lines():
                    received.append(line)
        assert any(line.startswith("data: ") for line in received)
        assert "data: [DONE]" not in received
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200


async def test_reset_mid_body(emulator: RunningEmulator) -> None:
    emulator.state.faults.add("reset@serverless:/v1/models#times=1")
    async with httpx.AsyncClient(base_url=emulator.serverless_base_url, headers=AUTH, timeout=10) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/v1/models")
