"""`KeyFooter`: Textual's `Footer`, with its key hints in the first frame and rebuilt once per burst.

Textual's footer shows nothing until the screen first publishes its bindings, then builds its keys
after the next refresh, so the first frame can reach the terminal without them. And each binding
change (focus moves, `refresh_bindings`) queues one more full rebuild of every key, even when
several arrive before the first has run: at start-up that was three or four rebuilds of some
25 ms each, in the middle of the first frames (issue #13, bench/bench_startup.py).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._rebuild_queued = False

    def bindings_changed(self, screen: Screen) -> None:
        first = not self._bindings_ready
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen):
            return
        if self._rebuild_queued:
            return  # the queued rebuild reads the bindings as they are when it runs: one is enough
        self._rebuild_queued = True
        if first:
            # Before the first refresh: the keys are part of the first frame.
            self.call_next(self._rebuild)
        else:
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        await self.recompose()
