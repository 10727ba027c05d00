"""A chat turn end to end: ChatSession + the API layer's stream against the live emulator, metrics
and cost from the emulator's own serverless pricing, everything saved to history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tm_tui.api.inference import make_inference_client
from tm_tui.api.models.control_plane import ServerlessPricing
from tm_tui.api.models.inference import ChatCompletionRequest
from tm_tui.api.streaming import ReasoningDelta, TextDelta
from tm_tui.chat.conversation import ChatSession
from tm_tui.chat.cost import pricing_table
from tm_tui.chat.metrics import TurnMetrics, metrics_from_stream, status_of
from tm_tui.chat.params import Params
from tm_tui.store.history import HistoryStore, MessageStatus

MODEL = "MiniMaxAI/MiniMax-M2.5"  # reasons, and has a cached price in the emulator's catalogue


async def run_turn(session: ChatSession, emulator, *, stop_after_text: bool = False):
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(
            emulator.control_plane_base_url + "/v1/billing/serverless-pricing",
            headers={"Authorization": f"Bearer {emulator.control_plane_token}"},
        )
        pricing = pricing_table(ServerlessPricing.model_validate(p) for p in reply.json()["pricing"])
        client = make_inference_client(http, emulator.serverless_base_url, emulator.inference_api_key)
        request = ChatCompletionRequest.model_validate(session.request_body())
        pending = session.begin_reply()
        async with client.stream_chat(request) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    pending.add(text=event.text)
                    if stop_after_text:
                        stream.stop()
                elif isinstance(event, ReasoningDelta):
                    pending.add(reasoning=event.text)
                session.save_partial()
        result = stream.result
    metrics = metrics_from_stream(result, pricing)
    final = session.finish_reply(
        status_of(result), metrics, error=None if result.error is None else str(result.error),
        content=result.content, reasoning=result.reasoning,
    )  # fmt: skip
    return result, metrics, final


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as store:
        yield store


async def test_a_complete_turn_is_saved_with_metrics_and_exact_cost(emulator, store) -> None:
    session = ChatSession.new(
        store, model=MODEL, surface="serverless", params=Params(max_tokens=2000, seed=1)
    )
    session.send("Say hello in a few words.")
    result, metrics, final = await run_turn(session, emulator)

    assert result.usage is not None and result.error is None
    assert final.status is MessageStatus.COMPLETE
    assert final.content == result.content and final.content
    assert final.reasoning == result.reasoning
    usage = result.usage
    expected = (
        Decimal(usage.prompt_tokens - usage.cached_tokens) * Decimal("0.30")
        + Decimal(usage.cached_tokens) * Decimal("0.03")
        + Decimal(usage.completion_tokens) * Decimal("1.20")
    ) / 1_000_000
    assert metrics.cost == expected and metrics.cost > 0
    assert (metrics.prompt_tokens, metrics.completion_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert metrics.request_id and metrics.finish_reason
    assert metrics.ttft_s is not None and metrics.total_s is not None

    reloaded = ChatSession.resume(store, session.conversation_id)
    assert TurnMetrics.from_dict(reloaded.messages[-1].metrics) == metrics
    assert reloaded.cost().total == expected


async def test_a_cut_stream_keeps_its_text_and_says_the_cost_is_unknown(emulator, store) -> None:
    emulator.state.faults.add("truncate=5@serverless:/v1/chat/completions")
    session = ChatSession.new(store, model=MODEL, params=Params(max_tokens=60))
    session.send("Tell me a story.")
    result, metrics, final = await run_turn(session, emulator)

    assert result.usage is None
    assert final.status is MessageStatus.TRUNCATED
    assert (final.content, final.reasoning) == (result.content, result.reasoning)
    assert metrics.cost is None and not metrics.has_usage
    assert session.cost().unpriced_turns == 1


async def test_a_stopped_stream_is_marked_stopped(emulator, store) -> None:
    session = ChatSession.new(store, model="Qwen/Qwen3-30B-A3B-Instruct-2507", params=Params(max_tokens=200))
    session.send("Count to fifty.")
    result, _, final = await run_turn(session, emulator, stop_after_text=True)
    assert result.stopped and final.status is MessageStatus.STOPPED
    assert final.content == result.content != ""
