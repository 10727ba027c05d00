"""tm-tui against a real llama.cpp `llama-server` (opt-in: see conftest.py for how to run).

Requests are built the way the app builds them (`ChatSession.request_body`, `open_stream`), so a
pass here means the Chat section's wire format works on this server. The answers of a 135M model
are not checked for sense, only for the shape and accounting the app relies on.
"""

from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Static

from tests.peers.conftest import LlamaServer, requires_llama_server
from tests.tui.conftest import fixed_clock
from tests.tui.helpers import SIZE, open_section, plain, settle
from tm_tui.api.inference import InferenceClient
from tm_tui.api.models.inference import ResponseRequest
from tm_tui.api.streaming import StreamResult
from tm_tui.app import TmApp
from tm_tui.chat.conversation import ChatSession
from tm_tui.chat.metrics import TurnMetrics
from tm_tui.chat.modes import Mode
from tm_tui.chat.params import Params
from tm_tui.screens.chat_stream import open_stream
from tm_tui.screens.status import StatusRow
from tm_tui.state import LaunchOptions
from tm_tui.store.history import HistoryStore, MessageStatus
from tm_tui.widgets.model_table import ModelTable

pytestmark = requires_llama_server
SHORT = Params(max_tokens=16, temperature=0.0, seed=1)


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        yield store


async def stream_turn(client: InferenceClient, session: ChatSession, prompt: str) -> StreamResult:
    """Send `prompt` as the Chat section does, stream the answer, keep it in the conversation."""
    session.send(prompt)
    stream = open_stream(client, session.mode, session.request_body())
    async with stream:
        async for _event in stream:
            pass
    result = stream.result
    assert result.error is None, result.error
    reply = session.begin_reply()
    reply.add(text=result.content)
    session.finish_reply(MessageStatus.COMPLETE, TurnMetrics(cost=Decimal(0)))
    return result


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def app_on(server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> TmApp:
    """The app with llama-server as its serverless host; no control plane (a closed local port)."""
    monkeypatch.setenv("TENSORMESH_INFERENCE_API_KEY", server.api_key)
    options = LaunchOptions(serverless_url=server.base_url, control_plane_url=closed_port_url())
    return TmApp(options, clock=fixed_clock)


# ---- API layer -------------------------------------------------------------------------------------


async def test_models_carry_the_served_and_the_trained_context(llama_server, llama_client):
    models = await llama_client.models()
    assert models.ids == [llama_server.model]
    card = models.data[0]
    assert card.context_length == llama_server.context  # meta.n_ctx
    assert card.trained_context is not None and card.trained_context > 0  # meta.n_ctx_train


async def test_chat_streams_with_usage_and_reuses_the_prompt_cache(llama_server, llama_client, store):
    session = ChatSession.new(store, model=llama_server.model, mode=Mode.CHAT, params=SHORT)
    first = await stream_turn(llama_client, session, "Name three colours.")
    assert first.content and first.finish_reason in {"stop", "length"}
    assert first.usage is not None and first.usage.prompt_tokens > 0 and first.usage.completion_tokens
    assert first.timing.ttft is not None and not first.timing.tokens_estimated

    second = await stream_turn(llama_client, session, "Now name three fruits.")
    assert second.usage is not None and second.usage.prompt_tokens > first.usage.prompt_tokens
    assert second.usage.cached_tokens > 0  # the first turn's prefix was reused


async def test_completion_streams_with_usage(llama_server, llama_client, store):
    session = ChatSession.new(store, model=llama_server.model, mode=Mode.COMPLETION, params=SHORT)
    result = await stream_turn(llama_client, session, "The capital of France is")
    assert result.content
    assert result.usage is not None and result.usage.completion_tokens


async def test_responses_multi_turn_streamed_and_not(llama_server, llama_client, store):
    session = ChatSession.new(
        store, model=llama_server.model, mode=Mode.RESPONSES, system_prompt="Be brief.", params=SHORT
    )
    assert (await stream_turn(llama_client, session, "Say hello.")).content
    second = await stream_turn(llama_client, session, "Say it again, louder.")  # an answer in `input`
    assert second.content and second.usage is not None and second.usage.prompt_tokens > 0

    session.send("Once more.")
    body = session.request_body(stream=False)
    assert [item.get("type") for item in body["input"]] == [None, "message", None, "message", None]
    reply = await llama_client.response(ResponseRequest.model_validate(body))
    assert reply.output_text


async def test_the_short_assistant_form_is_what_llama_server_refuses(llama_server):
    """Why the app sends message items: this server rejects the short form for an assistant turn."""
    turns: list[dict[str, Any]] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "again"},
    ]
    async with httpx.AsyncClient(base_url=llama_server.base_url, timeout=60) as http:
        headers = {"Authorization": f"Bearer {llama_server.api_key}"}
        body = {"model": llama_server.model, "input": turns, "max_output_tokens": 8}
        assert (await http.post("/v1/responses", json=body, headers=headers)).status_code == 400


async def test_health_without_a_version_route(llama_client):
    assert (await llama_client.health()).status == "ok"


# ---- the app ---------------------------------------------------------------------------------------


async def test_status_shows_the_server_up_without_a_version(llama_server, monkeypatch):
    app = app_on(llama_server, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        await settle(pilot)
        row = app.screen.query_one("#row-serverless", StatusRow)
        summary = str(row.query_one(".status-summary").render())
        assert row.status.ok and "health ok" in summary
        assert "version: not provided" in summary and "failed" not in summary


async def test_models_details_show_the_context_the_server_reports(llama_server, monkeypatch):
    app = app_on(llama_server, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "models")
        await settle(pilot)
        table = app.screen.query_one(ModelTable)
        assert [row.id for row in table.visible_rows] == [llama_server.model]
        details = plain(app.screen.query_one("#model-details", Static))
        assert f"{llama_server.context:,} tokens (trained max" in details
