"""The "View code" snippets, each one run for real — against a recording server to prove it sends
exactly the request it describes, and against the emulator to prove it works end to end."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest
import tensormesh

from tm_tui.chat import code_snippets
from tm_tui.chat.code_snippets import (
    KEY_ENV,
    RequestSpec,
    all_snippets,
    curl_snippet,
    openai_snippet,
    tensormesh_snippet,
)

USER_ID = "3f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
HOSTILE = "it's \"quoted\" `uname` $(touch pwned) $HOME \\ \nJSON\nJSON_END\n' ; rm -rf nothing é 日本"
KEY = "tmk_secret_it's$HOME"
BODIES = {
    "/v1/chat/completions": {
        "model": "m", "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": HOSTILE}],
        "temperature": 0.5, "top_k": 40, "stop": ["END"], "thinking": {"type": "enabled", "budget_tokens": 2048},
        "response_format": {"type": "json_object"},
    },
    "/v1/completions": {"model": "m", "prompt": HOSTILE, "max_tokens": 5, "top_k": 3, "seed": 1},
    "/v1/responses": {
        "model": "m", "input": [{"role": "user", "content": HOSTILE}], "instructions": "sys",
        "max_output_tokens": 9, "reasoning": {"effort": "low"},
    },
}  # fmt: skip
STREAM_EXTRA = {"stream": True, "stream_options": {"include_usage": True}}

# --- a server that records requests and answers just enough for each client to parse ------------

_CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
_SSE = {
    "/v1/chat/completions": [{**_CHUNK, "choices": [{"index": 0, "delta": {"content": "REPLY"}}]}],
    "/v1/completions": [{"id": "c", "object": "text_completion", "created": 1, "model": "m",
                         "choices": [{"index": 0, "text": "REPLY"}]}],
    "/v1/responses": [{"type": "response.output_text.delta", "delta": "REPLY", "item_id": "i", "output_index": 0,
                       "content_index": 0, "sequence_number": 1}],
}  # fmt: skip
_JSON = {
    "/v1/chat/completions": {**_CHUNK, "object": "chat.completion",
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "REPLY"}}]},
    "/v1/completions": _SSE["/v1/completions"][0],
    "/v1/responses": {"id": "r", "object": "response", "created_at": 1, "model": "m", "status": "completed",
                      "output": [{"id": "o", "type": "message", "role": "assistant", "status": "completed",
                                  "content": [{"type": "output_text", "text": "REPLY", "annotations": []}]}]},
}  # fmt: skip


class Recorder(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if body.get("stream"):
            payload = (
                "".join(f"data: {json.dumps(event)}\n\n" for event in _SSE[self.path]) + "data: [DONE]\n\n"
            )
            content_type = "text/event-stream"
        else:
            payload, content_type = json.dumps(_JSON[self.path]), "application/json"
        data = payload.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join()


def run(kind: str, snippet: str, cwd: Path, key: str | None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "NO_PROXY": "*"}
    if key is not None:
        env[KEY_ENV] = key
    command = ["bash", "-c", snippet] if kind == "curl" else [sys.executable, "-c", snippet]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


GENERATORS = {"curl": curl_snippet, "tensormesh": tensormesh_snippet, "openai": openai_snippet}
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.mark.parametrize("kind", [pytest.param("curl", marks=needs_curl), "tensormesh", "openai"])
@pytest.mark.parametrize("route", list(BODIES))
@pytest.mark.parametrize("stream", [False, True])
def test_snippet_sends_exactly_the_request(recorder, tmp_path, kind, route, stream) -> None:
    base_url, requests = recorder
    body = BODIES[route] | (STREAM_EXTRA if stream else {})
    if route == "/v1/responses" and stream:
        body = BODIES[route] | {"stream": True}
    surface = "on_demand" if stream else "serverless"  # both surfaces, across the matrix
    spec = RequestSpec(
        surface, base_url, route, body, "tmk_real", USER_ID if surface == "on_demand" else None
    )
    snippet = GENERATORS[kind](spec)
    assert "tmk_real" not in snippet

    done = run(kind, snippet, tmp_path, key="tmk_real")

    [seen] = requests
    assert seen["path"] == route
    assert seen["body"] == body
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["authorization"] == "Bearer tmk_real"
    assert headers.get("x-user-id") == spec.user_id
    assert not (tmp_path / "pwned").exists()
    if kind != "curl":
        assert "REPLY" in done.stdout


@pytest.mark.parametrize("kind", [pytest.param("curl", marks=needs_curl), "tensormesh", "openai"])
def test_revealed_key_is_quoted_and_needs_no_environment(recorder, tmp_path, kind) -> None:
    base_url, requests = recorder
    spec = RequestSpec("serverless", base_url, "/v1/chat/completions", BODIES["/v1/chat/completions"], KEY)
    run(kind, GENERATORS[kind](spec, reveal=True), tmp_path, key=None)
    headers = {name.lower(): value for name, value in requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {KEY}"


def test_from_headers_splits_key_user_and_the_rest() -> None:
    spec = RequestSpec.from_headers(
        "on_demand", "http://h/", "/v1/chat/completions", {"model": "m", "stream": True},
        {"authorization": "Bearer k1", "X-User-Id": USER_ID, "Content-Type": "application/json", "X-Trace": "t"},
    )  # fmt: skip
    assert (spec.api_key, spec.user_id, dict(spec.extra_headers)) == ("k1", USER_ID, {"X-Trace": "t"})
    assert (spec.url, spec.streams) == ("http://h/v1/chat/completions", True)
    snippets = all_snippets(spec)
    assert list(snippets) == ["curl", "Python (tensormesh)", "Python (openai)"]
    assert all("k1" not in text and USER_ID in text for text in snippets.values())
    assert "-H 'X-Trace: t'" in snippets["curl"] and " -N " in snippets["curl"]


def _signature_names(target) -> set[str]:
    return set(inspect.signature(target).parameters)


def test_named_arguments_exist_in_the_installed_libraries() -> None:
    sdk = tensormesh.Tensormesh(
        inference_api_key="k", serverless_base_url="http://127.0.0.1:1"
    ).inference.serverless
    oai = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")
    for route, method in code_snippets._SDK_METHOD.items():
        sdk_target, oai_target = sdk, oai
        for part in method.split("."):
            sdk_target, oai_target = getattr(sdk_target, part), getattr(oai_target, part)
        assert code_snippets._SDK_ARGS[route] <= _signature_names(sdk_target), route
        assert code_snippets._OPENAI_ARGS[route] <= _signature_names(oai_target), route


# --- against the emulator -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [pytest.param("curl", marks=needs_curl), "tensormesh", "openai"])
@pytest.mark.parametrize(("surface", "stream"), [("serverless", False), ("on_demand", True)])
def test_chat_snippets_run_against_the_emulator(emulator, tmp_path, kind, surface, stream) -> None:
    on_demand = surface == "on_demand"
    body = {
        "model": "ada-llama-8b" if on_demand else "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 16, "top_k": 20,
    } | (STREAM_EXTRA if stream else {})  # fmt: skip
    spec = RequestSpec(
        surface, emulator.on_demand_base_url if on_demand else emulator.serverless_base_url,
        "/v1/chat/completions", body, emulator.inference_api_key, emulator.on_demand_user_id if on_demand else None,
    )  # fmt: skip
    done = run(kind, GENERATORS[kind](spec), tmp_path, key=emulator.inference_api_key)
    output = done.stdout.strip()
    assert output
    if kind == "curl":
        if stream:
            assert output.splitlines()[-1] == "data: [DONE]"
        else:
            assert json.loads(output)["choices"][0]["message"]["content"]
