"""Charts from `textual-plotext`, imported only when a chart is first drawn.

`ChartBox` is an empty container until `show_bars()` is called: only then is the library imported
and a `PlotextPlot` mounted, so a screen with charts costs nothing at start-up or when opened on
another tab. `show_bars()` draws one series as bars, several side by side, or several stacked.

Why textual-plotext: it is Textualize's, follows the app's theme, and has stacked bars (cost by
model); textual-plot has zoom and pan but no stacked bars and needs numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from textual.containers import Container

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot

Layout = Literal["side", "stacked"]
# Distinct on dark and light themes; plotext names.
PALETTE = ("cyan", "green", "orange", "magenta", "blue", "red", "yellow", "gray")


class ChartBox(Container):
    DEFAULT_CSS = """
    ChartBox { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plot: PlotextPlot | None = None

    def _plot(self) -> PlotextPlot:
        if self.plot is None:
            from textual_plotext import PlotextPlot  # first chart shown: import now

            self.plot = PlotextPlot()
            self.mount(self.plot)
        return self.plot

    def show_bars(
        self,
        labels: Sequence[str],
        series: Mapping[str, Sequence[float]],
        *,
        title: str = "",
        layout: Layout = "side",
        y_label: str = "",
    ) -> None:
        """Bars at `labels`, one colour per series name (each series one value per label)."""
        plot = self._plot()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        names = list(series)
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
        values = [list(series[name]) for name in names]
        if not labels or not names:
            plt.title(title + " (no data)")
        elif len(names) == 1:
            plt.bar(list(labels), values[0], color=colors[0], label=names[0])
        elif layout == "stacked":
            plt.stacked_bar(list(labels), values, labels=names, color=colors)
        else:
            plt.multiple_bar(list(labels), values, labels=names, color=colors)
        if labels and names:
            plt.title(title)
        if y_label:
            plt.ylabel(y_label)
        plot.refresh()
