"""Metrics of one answer (the line under it) and of a whole conversation (the bar above the prompt).

Only measured or server-reported numbers are shown: when a cut stream carried no usage the line says
"usage unavailable" and the cost is unknown, never an estimate dressed as a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tm_tui.text_safety import sanitize

if TYPE_CHECKING:  # the chat's bar is built before the first frame; these are imported when used
    from tm_tui.chat.cost import ConversationCost
    from tm_tui.chat.metrics import TurnMetrics

SEPARATOR = " · "


def turn_metrics_text(metrics: TurnMetrics) -> Text:
    """`TTFT 312 ms · total 2.41 s · 58.1 tok/s · 12 prompt / 140 completion / 0 cached · $0.000171 · …`."""
    from tm_tui.chat.metrics import summary_parts

    pieces = (Text(sanitize(text), "italic" if caveat else "") for text, caveat in summary_parts(metrics))
    return Text(SEPARATOR).join(pieces)


def conversation_totals_text(metrics: Iterable[TurnMetrics], cost: ConversationCost) -> Text:
    """Answers, token sums over the answers that reported usage, and the summed known cost."""
    from tm_tui.chat.cost import format_usd

    answers = list(metrics)
    reported = [m for m in answers if m.has_usage]
    text = Text.assemble(("conversation ", "dim"), f"{len(answers)} answer{'s' if len(answers) != 1 else ''}")
    if reported:
        prompt = sum(m.prompt_tokens or 0 for m in reported)
        completion = sum(m.completion_tokens or 0 for m in reported)
        cached = sum(m.cached_tokens or 0 for m in reported)
        text.append(f"{SEPARATOR}{prompt} prompt / {completion} completion / {cached} cached tokens")
    missing = len(answers) - len(reported)
    if missing:
        text.append(f"{SEPARATOR}{missing} without usage", "italic")
    text.append(SEPARATOR + ("cost " + format_usd(cost.total) if cost.priced_turns else "cost unknown"))
    if cost.priced_turns and not cost.complete:
        text.append(f" (+{cost.unpriced_turns} unpriced)", "italic")
    return text


class MetricsLine(Static):
    """The metrics of one answer; empty (and hidden by CSS) until the answer ends."""

    DEFAULT_CLASSES = "metrics-line"

    def __init__(self, metrics: TurnMetrics | None = None) -> None:
        super().__init__(markup=False)
        self.metrics = metrics
        if metrics is not None:
            self.show(metrics)

    def show(self, metrics: TurnMetrics) -> None:
        self.metrics = metrics
        self.update(turn_metrics_text(metrics))
        self.add_class("-shown")


class ConversationBar(Static):
    DEFAULT_CLASSES = "conversation-bar"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)

    def show(self, metrics: Iterable[TurnMetrics], cost: ConversationCost) -> None:
        self.update(conversation_totals_text(metrics, cost))
