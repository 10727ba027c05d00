"""`KeyFooter`: Textual's `Footer`, with its key hints in the first frame and rebuilt once per burst.

Textual's footer shows nothing until the screen first publishes its bindings, then builds its keys
after the next refresh, so the first frame can reach the terminal without them. And each binding
change (focus moves, `refresh_bindings`) queues one more full rebuild of every key, even when
several arrive before the first has run: at start-up that was three or four rebuilds of some
25 ms each, in the middle of the first frames (issue #13, bench/bench_startup.py). A rebuild that
would show the same keys, enabled the same way, is skipped: screens refresh their bindings on every
cursor move (what a key does depends on the highlighted row), and rebuilding ~20 keys each time cost
more than the move itself (bench/bench_support.py).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._rebuild_queued = False
        self._built_for: tuple | None = None  # the keys the footer shows now

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
        keys = self._keys()
        if keys == self._built_for:
            return
        self._built_for = keys
        await self.recompose()

    def _keys(self) -> tuple:
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
