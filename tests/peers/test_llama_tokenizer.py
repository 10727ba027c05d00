"""Opt-in: the Tokenizer against a real llama.cpp `llama-server` (see shared/peers/llama-server.md).

Runs only when TM_TUI_LLAMA_SERVER (the binary) and TM_TUI_LLAMA_MODEL (a GGUF) are set; the server is
started on a free port for this module and stopped after it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tm_tui.api.inference import make_inference_client
from tm_tui.api.tokenizer import ServerKind, TokenizerClient, card_context_length
from tm_tui.tokens.spans import layout

SERVER = os.environ.get("TM_TUI_LLAMA_SERVER")
MODEL_FILE = os.environ.get("TM_TUI_LLAMA_MODEL")
KEY = "sk-local"
ALIAS = "smollm2"
N_CTX = 2048

pytestmark = pytest.mark.skipif(
    not (SERVER and MODEL_FILE), reason="set TM_TUI_LLAMA_SERVER and TM_TUI_LLAMA_MODEL to run"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    port = _free_port()
    command = [SERVER, "-m", MODEL_FILE, "--alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "-c", str(N_CTX), "-t", "2", "--no-webui", "--api-key", KEY]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to 60 s on a loaded machine; ready in < 1 s normally
            try:
                if httpx.get(f"{url}/health", timeout=1).json().get("status") == "ok":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("llama-server did not become healthy")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def tokenizer(llama_url: str) -> TokenizerClient:
    http = httpx.AsyncClient(timeout=30)
    yield TokenizerClient(make_inference_client(http, llama_url, KEY))
    await http.aclose()


async def test_text_is_detected_as_llama_cpp_with_byte_pieces(tokenizer: TokenizerClient) -> None:
    text = "Hi 🦜 鱲"
    result = await tokenizer.tokenize(ALIAS, text=text)
    assert result.kind is ServerKind.LLAMA and result.count > 3
    assert result.pieces is not None and b"".join(result.pieces) == text.encode()
    laid = layout(result.ids, result.pieces)
    assert laid.text == text and "\ufffd" not in laid.text
    assert any(not span.whole for span in laid.spans)  # the parrot is split into byte tokens


async def test_round_trip_and_context(tokenizer: TokenizerClient) -> None:
    text = "The quick brown fox."
    ids = (await tokenizer.tokenize(ALIAS, text=text)).ids
    assert await tokenizer.detokenize(ALIAS, ids) == text
    assert await tokenizer.server_context_length() == N_CTX
    cards = (await tokenizer.client.models()).data
    assert card_context_length(cards[0]) == N_CTX


async def test_chat_goes_through_the_template_and_attribution_adds_up(tokenizer: TokenizerClient) -> None:
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}]
    result = await tokenizer.tokenize(ALIAS, messages=chat)
    assert result.rendered is not None and "<|im_start|>user\nHi there" in result.rendered
    attribution = await tokenizer.attribution(ALIAS, chat)
    assert attribution.total == result.count
    assert sum(m.added_tokens for m in attribution.messages) + attribution.generation_prompt == result.count


async def test_the_section_shows_a_llama_cpp_tokenization(llama_url, monkeypatch) -> None:
    from textual.widgets import Static, TextArea

    from tests.tui.helpers import open_section, plain, settle
    from tm_tui.app import TmApp
    from tm_tui.state import LaunchOptions
    from tm_tui.widgets.token_panel import TokenPanel

    monkeypatch.setenv("TENSORMESH_INFERENCE_API_KEY", KEY)
    app = TmApp(LaunchOptions(serverless_url=llama_url, model=ALIAS))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_section(pilot, "tokenizer")
        pilot.app.screen.query_one("#tok-text", TextArea).load_text("Hello 🦜")
        await pilot.press("ctrl+t")
        await settle(pilot)
        shown = plain(
            pilot.app.screen.query_one("#tok-text-panel", TokenPanel).query_one(".token-counts", Static)
        )
        assert "llama.cpp" in shown and f"of {N_CTX:,}" in shown
