"""Opt-in runs against real third-party servers. Skipped unless the environment names them.

llama.cpp's `llama-server` (see `shared/peers/llama-server.md` for a build recipe and a small model):

    TM_TUI_LLAMA_SERVER=/path/to/llama-server TM_TUI_LLAMA_MODEL=/path/to/model.gguf pytest tests/peers

`llama_server` (session scope) starts it once on a free 127.0.0.1 port with an API key, waits for
`/health`, and stops it at the end; `llama_client` is an `InferenceClient` on it. Any test module can
use them (tokenizer tests too): request the fixture and the module is skipped when not configured.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tm_tui.api.inference import InferenceClient, make_inference_client

LLAMA_SERVER_VAR, LLAMA_MODEL_VAR = "TM_TUI_LLAMA_SERVER", "TM_TUI_LLAMA_MODEL"
# Read at import time: the autouse `isolated_dirs` fixture leaves these alone, but reading them once
# keeps the skip reason and the fixture in agreement.
LLAMA_BINARY = os.environ.get(LLAMA_SERVER_VAR, "")
LLAMA_MODEL_FILE = os.environ.get(LLAMA_MODEL_VAR, "")
STARTUP_LIMIT_S = 120.0  # loading a model on two busy cores; a bound on a wait, not a measurement
CONTEXT = 2048

requires_llama_server = pytest.mark.skipif(
    not (LLAMA_BINARY and LLAMA_MODEL_FILE),
    reason=f"set {LLAMA_SERVER_VAR} (llama-server binary) and {LLAMA_MODEL_VAR} (a GGUF model) to run",
)


@dataclass(frozen=True)
class LlamaServer:
    base_url: str
    api_key: str
    model: str  # the served name (`--alias`)
    context: int  # `-c`: the served context, what `meta.n_ctx` reports
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama-server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:  # 503 while loading
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama-server not healthy after {STARTUP_LIMIT_S:.0f} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if not (LLAMA_BINARY and LLAMA_MODEL_FILE):
        pytest.skip(f"set {LLAMA_SERVER_VAR} and {LLAMA_MODEL_VAR} to run against llama-server")
    port, key = free_port(), "sk-peer-test"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        LLAMA_BINARY, "-m", LLAMA_MODEL_FILE, "--alias", "smollm2", "--host", "127.0.0.1",
        "--port", str(port), "-c", str(CONTEXT), "-t", "2", "--no-webui", "--api-key", key,
        "-np", "1",  # one slot: a follow-up turn always finds the previous prompt's cache
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, log)
        yield LlamaServer(base_url, key, "smollm2", CONTEXT, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def llama_client(llama_server: LlamaServer) -> AsyncIterator[InferenceClient]:
    async with httpx.AsyncClient() as http:
        yield make_inference_client(http, llama_server.base_url, llama_server.api_key, timeout=60.0)
