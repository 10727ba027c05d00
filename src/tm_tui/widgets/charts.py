"""Charts from `textual-plotext`, imported only when a chart is first drawn.

`ChartBox` is an empty container until `show_bars()` is called: only then is the library imported
(in a thread, so the import never stalls the screen) and a `PlotextPlot` mounted; a screen with charts
costs nothing at start-up. `show_bars()` draws one series as bars, several side by side, or several
stacked; a call made while the library loads is drawn once it is in.

Why textual-plotext: it is Textualize's, follows the app's theme, and has stacked bars (cost by
model); textual-plot has zoom and pan but no stacked bars and needs numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from textual.containers import Container

from tm_tui.text_safety import inert, sanitize

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot

Layout = Literal["side", "stacked"]
# Distinct on dark and light themes; plotext names.
MAX_TICKS = 10
LEGEND_MAX = 40  # characters of a series name in the legend
PALETTE = ("cyan", "green", "orange", "magenta", "blue", "red", "yellow", "gray")


class ChartBox(Container):
    DEFAULT_CSS = """
    ChartBox { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plot: PlotextPlot | None = None
        self._pending: tuple[tuple, dict] | None = None

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
        if self.plot is not None:
            self._draw(labels, series, title=title, layout=layout, y_label=y_label)
            return
        first = self._pending is None
        self._pending = ((labels, series), {"title": title, "layout": layout, "y_label": y_label})
        if first:
            self.run_worker(self._load, thread=True, group="chart-import")

    def _load(self) -> None:
        import textual_plotext  # noqa: F401  (the first chart: import it off the UI loop)

        self.app.call_from_thread(self._loaded)

    def _loaded(self) -> None:
        from textual_plotext import PlotextPlot

        self.plot = PlotextPlot()
        self.mount(self.plot)
        if self._pending is not None:
            args, kwargs = self._pending
            self._draw(*args, **kwargs)

    def _draw(
        self,
        labels: Sequence[str],
        series: Mapping[str, Sequence[float]],
        *,
        title: str,
        layout: Layout,
        y_label: str,
    ) -> None:
        assert self.plot is not None
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        # Labels are server text (model names): plotext draws them as they are, escapes included.
        names = [inert(name, max_len=LEGEND_MAX).plain for name in series]
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
        values = [list(v) for v in series.values()]
        labels = [sanitize(label) for label in labels]
        if not labels or not names:
            plt.title(title + " (no data)")
        elif len(names) == 1:
            plt.bar(list(labels), values[0], color=colors[0], label=names[0])
        elif layout == "stacked":
            plt.stacked_bar(list(labels), values, labels=names, color=colors)  # type: ignore[call-arg, arg-type]  # plotext takes labels= and a colour per series; textual-plotext's stubs say label=, one colour
        else:
            plt.multiple_bar(list(labels), values, labels=names, color=colors)  # type: ignore[call-arg, arg-type]  # as above
        if labels and names:
            plt.title(title)
            # Our own evenly spaced ticks: plotext's thinning of crowded labels varies between draws.
            step = max(1, math.ceil(len(labels) / MAX_TICKS))
            ticks = list(range(0, len(labels), step))
            plt.xticks([i + 1 for i in ticks], [labels[i] for i in ticks])
        if y_label:
            plt.ylabel(y_label)
        self.plot.refresh()
