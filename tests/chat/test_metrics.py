"""Per-answer metrics from a stream result, and the status mark an answer gets."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from tm_tui.api.errors import StreamError
from tm_tui.api.models.base import Usage
from tm_tui.api.streaming import StreamResult, StreamTiming
from tm_tui.chat.cost import Pricing
from tm_tui.chat.metrics import TurnMetrics, metrics_from_stream, status_of
from tm_tui.store.history import MessageStatus

PRICING = {"m": Pricing(Decimal("0.30"), Decimal("1.20"), Decimal("0.03"))}
TIMING = StreamTiming(
    started=10.0, first_token_at=10.25, ended_at=12.25, output_tokens=100, tokens_estimated=False
)
RESULT = StreamResult(
    content="Hi", reasoning="", tool_calls=(), finish_reason="stop", model="m", response_id="r",
    usage=Usage(prompt_tokens=1000, completion_tokens=100, total_tokens=1100,
                prompt_tokens_details={"cached_tokens": 200}),
    request_id="req_1", stopped=False, truncated=False, error=None, timing=TIMING,
)  # fmt: skip


def test_metrics_from_a_finished_stream() -> None:
    metrics = metrics_from_stream(RESULT, PRICING)
    assert metrics == TurnMetrics(
        ttft_s=0.25, total_s=2.25, tokens_per_s=50.0, tokens_estimated=False, prompt_tokens=1000,
        completion_tokens=100, cached_tokens=200, cost=Decimal("0.000366"), finish_reason="stop",
        request_id="req_1",
    )  # fmt: skip


def test_missing_usage_means_unknown_tokens_and_cost() -> None:
    metrics = metrics_from_stream(replace(RESULT, usage=None), PRICING)
    assert (metrics.prompt_tokens, metrics.cached_tokens, metrics.cost, metrics.has_usage) == (
        None,
        None,
        None,
        False,
    )


def test_metrics_survive_json_exactly() -> None:
    metrics = metrics_from_stream(RESULT, PRICING)
    stored = json.loads(json.dumps(metrics.to_dict()))
    assert stored["cost"] == "0.000366"
    assert TurnMetrics.from_dict(stored) == metrics
    assert TurnMetrics.from_dict({"cost": "1", "from_a_newer_version": 1}) == TurnMetrics(cost=Decimal(1))


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, MessageStatus.COMPLETE),
        ({"finish_reason": "length"}, MessageStatus.TRUNCATED),
        ({"truncated": True, "finish_reason": None}, MessageStatus.TRUNCATED),
        ({"stopped": True}, MessageStatus.STOPPED),
        ({"error": StreamError("boom"), "stopped": True}, MessageStatus.ERROR),
    ],
)
def test_status_of(changes, status) -> None:
    assert status_of(replace(RESULT, **changes)) is status


@pytest.mark.parametrize(
    ("metrics", "shown"),
    [
        (
            TurnMetrics(
                ttft_s=0.25, total_s=2.25, tokens_per_s=50.0, completion_tokens=100, tokens_estimated=False
            ),
            "50.0 tok/s",
        ),
        # Three chunks in 0.05 s: no honest rate.
        (
            TurnMetrics(
                ttft_s=0.01, total_s=0.06, tokens_per_s=22876.3, completion_tokens=3, tokens_estimated=False
            ),
            "— tok/s",
        ),
        (
            TurnMetrics(
                ttft_s=0.1, total_s=3.0, tokens_per_s=1.0, completion_tokens=3, tokens_estimated=False
            ),
            "— tok/s",
        ),  # 3 tokens
        (
            TurnMetrics(
                ttft_s=0.1, total_s=0.2, tokens_per_s=500.0, completion_tokens=50, tokens_estimated=False
            ),
            "— tok/s",
        ),  # 0.1 s
        (TurnMetrics(ttft_s=0.2, total_s=2.2, tokens_per_s=30.0), "30.0 tok/s (estimated)"),  # chunks counted
    ],
)
def test_tokens_per_second_needs_enough_tokens_and_time(metrics, shown) -> None:
    from tm_tui.chat.metrics import summary_parts

    assert shown in [text for text, _ in summary_parts(metrics)]
