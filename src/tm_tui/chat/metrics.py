"""Per-answer metrics: what a finished (or cut) stream measured, in the JSON form history stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from tm_tui.api.streaming import StreamResult
from tm_tui.chat.cost import PricingTable, format_usd, turn_cost
from tm_tui.store.history import MessageStatus


@dataclass(frozen=True)
class TurnMetrics:
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    tokens_estimated: bool = True  # tokens/s counts chunks because the server sent no usage
    prompt_tokens: int | None = None  # all None when usage is missing: unknown, not zero
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost: Decimal | None = None
    finish_reason: str | None = None
    request_id: str | None = None

    @property
    def has_usage(self) -> bool:
        return self.prompt_tokens is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"] = None if self.cost is None else str(self.cost)  # exact, unlike a JSON float
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnMetrics:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        if known.get("cost") is not None:
            known["cost"] = Decimal(str(known["cost"]))
        return cls(**known)


def metrics_from_stream(result: StreamResult, pricing: PricingTable) -> TurnMetrics:
    usage = result.usage
    cost = turn_cost(result.model, usage, pricing)
    timing = result.timing
    return TurnMetrics(
        ttft_s=timing.ttft,
        total_s=timing.total,
        tokens_per_s=timing.tokens_per_second,
        tokens_estimated=timing.tokens_estimated,
        prompt_tokens=None if usage is None else usage.prompt_tokens,
        completion_tokens=None if usage is None else usage.completion_tokens,
        cached_tokens=None if usage is None else usage.cached_tokens,
        cost=None if cost is None else cost.total,
        finish_reason=result.finish_reason,
        request_id=result.request_id,
    )


def status_of(result: StreamResult) -> MessageStatus:
    """How an answer ended, for the mark next to it."""
    if result.error is not None:
        return MessageStatus.ERROR
    if result.stopped:
        return MessageStatus.STOPPED
    if result.truncated or result.finish_reason == "length":
        return MessageStatus.TRUNCATED
    return MessageStatus.COMPLETE


# Below these, tokens/s is noise (3 chunks in 0.05 s read "22876.3 tok/s"): shown as "—".
MIN_RATE_WINDOW_S = 0.25
MIN_RATE_TOKENS = 8


def rate_is_measurable(metrics: TurnMetrics) -> bool:
    """Enough tokens over a long enough generation window (first token to end) for a rate."""
    if metrics.tokens_per_s is None or metrics.total_s is None:
        return False
    window = metrics.total_s - (metrics.ttft_s or 0.0)
    tokens = (
        metrics.completion_tokens if metrics.completion_tokens is not None else metrics.tokens_per_s * window
    )
    return window >= MIN_RATE_WINDOW_S and tokens >= MIN_RATE_TOKENS


def summary_parts(metrics: TurnMetrics) -> list[tuple[str, bool]]:
    """One answer's metrics as short pieces in display order; `True` marks the no-usage caveat.

    The line under an answer and the Markdown export both read these, so they always agree.
    """
    parts: list[tuple[str, bool]] = []
    if metrics.ttft_s is not None:
        parts.append((f"TTFT {metrics.ttft_s * 1000:.0f} ms", False))
    if metrics.total_s is not None:
        parts.append((f"total {metrics.total_s:.2f} s", False))
    if metrics.tokens_per_s is not None:
        estimate = " (estimated)" if metrics.tokens_estimated else ""
        rate = f"{metrics.tokens_per_s:.1f} tok/s{estimate}" if rate_is_measurable(metrics) else "— tok/s"
        parts.append((rate, False))
    if metrics.has_usage:
        parts.append(
            (
                f"{metrics.prompt_tokens} prompt / {_count(metrics.completion_tokens)} completion"
                f" / {_count(metrics.cached_tokens)} cached",
                False,
            )
        )
    else:
        parts.append(("usage unavailable", True))
    parts.append((format_usd(metrics.cost, unknown="cost unknown"), False))
    if metrics.finish_reason:
        parts.append((f"finish {metrics.finish_reason}", False))
    if metrics.request_id:
        parts.append((metrics.request_id, False))
    return parts


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)
