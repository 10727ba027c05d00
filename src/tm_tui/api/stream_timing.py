"""Client-side stream timing: time to first token, inter-token gaps, tokens per second."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

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
    """Records token arrival times on the injected clock; `snapshot` gives the StreamTiming.

    `token()` runs once per chunk, so it only appends the time: gaps are worked out by `snapshot`.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.started: float | None = None
        self.ended: float | None = None
        self._arrivals: list[float] = []

    def start(self) -> None:
        self.started = self._clock()

    def token(self) -> None:
        self._arrivals.append(self._clock())

    def stop(self) -> None:
        self.ended = self._clock()

    def snapshot(self, usage: Usage | None) -> StreamTiming:
        arrivals = self._arrivals
        reported = usage.completion_tokens if usage is not None else None
        return StreamTiming(
            started=self.started,
            first_token_at=arrivals[0] if arrivals else None,
            ended_at=self.ended,
            gaps=tuple(later - earlier for earlier, later in pairwise(arrivals)),
            output_tokens=reported if reported is not None else len(arrivals),
            tokens_estimated=reported is None,
        )
