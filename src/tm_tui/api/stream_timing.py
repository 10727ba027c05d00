"""Client-side stream timing: time to first token, inter-token gaps, tokens per second."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tm_tui.api.models.base import Usage

type Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """Client-side timing, in seconds of the injected clock (`time.perf_counter` by default).

    A "token" is a chunk carrying generated text (content, reasoning or tool-call fragment).
    `output_tokens` is `usage.completion_tokens` when the server reported it, else the number
    of such chunks (`tokens_estimated` is then True).
    """

    started: float | None = None
    first_token_at: float | None = None
    ended_at: float | None = None
    gaps: tuple[float, ...] = ()
    output_tokens: int = 0
    tokens_estimated: bool = True

    @property
    def ttft(self) -> float | None:
        if self.started is None or self.first_token_at is None:
            return None
        return self.first_token_at - self.started

    @property
    def total(self) -> float | None:
        if self.started is None or self.ended_at is None:
            return None
        return self.ended_at - self.started

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens over the generation window (first token to end), so queueing is excluded."""
        if self.first_token_at is None or self.ended_at is None:
            return None
        window = self.ended_at - self.first_token_at
        return self.output_tokens / window if window > 0 else None

    def gap_percentile(self, percent: float) -> float | None:
        """Inter-token gap at `percent` (0-100), linearly interpolated between ranks."""
        if not self.gaps:
            return None
        ordered = sorted(self.gaps)
        rank = (len(ordered) - 1) * min(max(percent, 0.0), 100.0) / 100.0
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    @property
    def p50_gap(self) -> float | None:
        return self.gap_percentile(50)

    @property
    def p95_gap(self) -> float | None:
        return self.gap_percentile(95)


class StreamTimer:
    """Records token arrival times on the injected clock; `snapshot` gives the StreamTiming."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.started: float | None = None
        self.first: float | None = None
        self.last: float | None = None
        self.ended: float | None = None
        self.gaps: list[float] = []
        self.tokens = 0

    def start(self) -> None:
        self.started = self._clock()

    def token(self) -> None:
        now = self._clock()
        if self.last is None:
            self.first = now
        else:
            self.gaps.append(now - self.last)
        self.last = now
        self.tokens += 1

    def stop(self) -> None:
        self.ended = self._clock()

    def snapshot(self, usage: Usage | None) -> StreamTiming:
        reported = usage.completion_tokens if usage is not None else None
        return StreamTiming(
            started=self.started,
            first_token_at=self.first,
            ended_at=self.ended,
            gaps=tuple(self.gaps),
            output_tokens=reported if reported is not None else self.tokens,
            tokens_estimated=reported is None,
        )
