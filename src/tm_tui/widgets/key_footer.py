"""`KeyFooter`: Textual's `Footer`, with its key hints in the first frame and rebuilt once per burst.

Textual's footer shows nothing until the screen first publishes its bindings, then builds its keys
after the next refresh, so the first frame can reach the terminal without them. And each binding
change (focus moves, `refresh_bindings`) queues one more full rebuild of every key, even when
several arrive before the first has run: at start-up that was three or four rebuilds of some
25 ms each, in the middle of the first frames (issue #13, bench/bench_startup.py). Later changes
touch only the keys that changed (Esc "Stop" appearing while an answer streams, keys enabled or
disabled): a rebuild restyles every key, a hitch at the start and end of each streamed answer
(bench/bench_stream.py). Grouped keys (none here yet) still rebuild everything.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE = "-command-palette"  # the class `Footer.compose` gives the palette's key


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
        if not await self._update_keys():
            await self.recompose()

    def _wanted(self) -> list[tuple[Binding, bool, str, bool]] | None:
        """The keys `Footer.compose` would make, in order: (binding, enabled, tooltip, is the
        palette's); None when it would group some (then only a rebuild does the same)."""
        active = self.screen.active_bindings
        wanted: dict[str, tuple[Binding, bool, str, bool]] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show:
                if binding.group is not None:
                    return None
                wanted.setdefault(binding.action, (binding, enabled, tooltip, False))
        keys = list(wanted.values())
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            binding = palette.binding
            keys.append((binding, palette.enabled, binding.tooltip or binding.description, True))
        return keys

    def _identity(self, binding: Binding, tooltip: str, palette: bool) -> tuple[object, ...]:
        return (binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                tooltip or None, palette)  # fmt: skip

    async def _update_keys(self) -> bool:
        """Bring the keys shown up to date by adding, removing and enabling only those that
        changed; False when that cannot be done (a first build, grouped keys)."""
        wanted = self._wanted()
        shown = list(self.children)
        if wanted is None or not shown or not all(isinstance(key, FooterKey) for key in shown):
            return False
        keys: list[FooterKey] = [key for key in shown if isinstance(key, FooterKey)]
        old = [(k.key, k.key_display, k.description, k.action, k.tooltip, k.has_class(PALETTE)) for k in keys]
        new = [self._identity(binding, tooltip, palette) for binding, _, tooltip, palette in wanted]
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                for key, (_, enabled, _, _) in zip(keys[i1:i2], wanted[j1:j2], strict=True):
                    if key._disabled is enabled:  # Textual's flag: a click on a disabled key rings
                        key._disabled = not enabled
                        key.set_class(not enabled, "-disabled")
                continue
            if i1 < i2:
                await self.remove_children(keys[i1:i2])
            if j1 < j2:
                await self.mount_all(
                    [self._make_key(*item) for item in wanted[j1:j2]],
                    before=keys[i2] if i2 < len(keys) else None,
                )
        self.styles.grid_size_columns = sum(1 for *_, palette in wanted if not palette)
        return True

    def _make_key(self, binding: Binding, enabled: bool, tooltip: str, palette: bool) -> FooterKey:
        """A key as `Footer.compose` makes it."""
        display = self.app.get_key_display(binding)
        if palette:
            return FooterKey(binding.key, display, binding.description, binding.action, classes=PALETTE,
                             disabled=not enabled, tooltip=tooltip)  # fmt: skip
        key = FooterKey(binding.key, display, binding.description, binding.action, disabled=not enabled,
                        tooltip=tooltip)  # fmt: skip
        with self._context():  # `data_bind` binds to the active message pump, as in compose
            return key.data_bind(compact=Footer.compact)
