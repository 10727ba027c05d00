"""`MetricChart`: one observability metric series (reference §4.5 `Metric`) as a line chart.

The chart itself is a `textual_plotext.PlotextPlot`, imported and mounted only when the first series
is shown, so the charting library costs nothing until a chart is on screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.containers import Container

from tm_tui.text_safety import sanitize

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot

    from tm_tui.api.models.control_plane import Metric


def points(metric: Metric) -> tuple[list[float], list[float]]:
    """(seconds since the first point, value) of every point with both; unreadable ones are skipped."""
    xs, ys = [], []
    start: datetime | None = None
    for point in metric.data:
        if point.value is None or not point.timestamp:
            continue
        try:
            moment = datetime.fromisoformat(point.timestamp)
        except ValueError:
            continue
        start = start or moment
        xs.append((moment - start).total_seconds() / 60)
        ys.append(point.value)
    return xs, ys


class MetricChart(Container):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plot: PlotextPlot | None = None

    async def show_metric(self, metric: Metric) -> bool:
        """Draw `metric`; False (and nothing drawn) when it has no usable points. Awaits the
        chart's mounting the first time, so it is laid out when this returns."""
        xs, ys = points(metric)
        if self.plot is None:
            from textual_plotext import PlotextPlot

            self.plot = PlotextPlot()
            await self.mount(self.plot)
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(sanitize(metric.name or "metric"))
        plt.xlabel("minutes")
        if xs:
            plt.plot(xs, ys, marker="braille")
        self.plot.refresh()
        return bool(xs)
