"""The chat toolbar: mode, surface and model selects, and the surface's model list.

It shows choices and announces them (`ModeChosen`, `SurfaceChosen`, `ModelChosen`); the screen
decides what they change (the session goes through `TmApp.request_session_change`). The model list
is loaded by `fetch_models`, which the compare screen uses too. In the first frame the selects are
plain stand-ins: three `Select`s are a good part of a first frame's cost and nothing needs them
before the session, so they come in right after it (`Ready` says when).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Select, Static

from tm_tui.surface import Surface
from tm_tui.text_safety import inert

if TYPE_CHECKING:
    from tm_tui.session import Session

# Keyed by `Mode` values (a StrEnum, so `MODE_LABELS[mode]` works): the chat core that defines
# `Mode` is not imported before the first frame. A test keeps the two in step.
MODE_LABELS: dict[str, str] = {
    "chat": "Chat completions",
    "completion": "Completions",
    "responses": "Responses",
}


async def fetch_models(session: Session, surface: str) -> tuple[list[str], str | None]:
    """The model ids `surface` serves, or none and why (not configured, or the request's error)."""
    from tm_tui.api.errors import TmError
    from tm_tui.widgets.error_panel import describe

    client = session.inference(surface)
    if client is None:
        return [], session.inference_reason(surface) or "not configured"
    try:
        return [model.id for model in (await client.models()).data], None
    except TmError as error:
        info = describe(error)
        return [], f"{info.title.lower()}: {info.message}"


def with_current(names: list[str], current: str | None) -> list[str]:
    """`names`, with the session's model first if it is not among them (typed elsewhere, it stays
    selectable)."""
    return [current, *names] if current and current not in names else list(names)


class ChatToolbar(Horizontal):
    DEFAULT_CSS = Path(__file__).with_name("chat_toolbar.tcss").read_text(encoding="utf-8")

    class Ready(Message):
        """The selects are mounted: the toolbar can show a session."""

    class ModeChosen(Message):
        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    class SurfaceChosen(Message):
        def __init__(self, surface: str) -> None:
            super().__init__()
            self.surface = surface

    class ModelChosen(Message):
        """A model picked in the list, for the surface shown beside it."""

        def __init__(self, surface: str, model: str) -> None:
            super().__init__()
            self.surface = surface
            self.model = model

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ready = False
        self.model_names: list[str] = []  # the shown surface's list, as last loaded

    def compose(self) -> ComposeResult:
        yield Static(MODE_LABELS["chat"], id="chat-mode-stub", classes="toolbar-stub", markup=False)
        yield Static(Surface.SERVERLESS.label, id="chat-surface-stub", classes="toolbar-stub", markup=False)
        yield Static("model…", id="chat-model-stub", classes="toolbar-stub", markup=False)
        yield Static("", id="chat-model-note", markup=False)  # why the model list is empty

    def on_mount(self) -> None:
        self.query_one("#chat-model-note").display = False
        self.call_after_refresh(self._mount_selects)

    async def _mount_selects(self) -> None:
        selects: list[Widget] = [
            Select(
                [(label, mode) for mode, label in MODE_LABELS.items()],
                value="chat", allow_blank=False, id="chat-mode", compact=True,
            ),
            Select(
                [(surface.label, surface) for surface in Surface],
                value=Surface.SERVERLESS, allow_blank=False, id="chat-surface", compact=True,
            ),
            Select([], prompt="model…", id="chat-model", compact=True),
        ]  # fmt: skip
        with self.app.batch_update():
            await self.query(".toolbar-stub").remove()
            await self.mount_all(selects, before="#chat-model-note")
        self.ready = True
        self.post_message(self.Ready())

    # -- what it shows --------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return str(self.query_one("#chat-mode", Select).value) if self.ready else "chat"

    @property
    def surface(self) -> str | None:
        value = self.query_one("#chat-surface", Select).value if self.ready else None
        return value if isinstance(value, str) else None

    def show_mode(self, mode: str) -> None:
        """Show `mode` without announcing it (it was not chosen here)."""
        with self.prevent(Select.Changed):
            self.query_one("#chat-mode", Select).value = mode

    def cycle_mode(self) -> None:
        """The next mode, as if chosen in the list (announced)."""
        if self.ready:
            modes = list(MODE_LABELS)
            self.query_one("#chat-mode", Select).value = modes[(modes.index(self.mode) + 1) % len(modes)]

    def show_surface(self, surface: str) -> None:
        with self.prevent(Select.Changed):
            self.query_one("#chat-surface", Select).value = surface

    def follow(self, session: Session, surface: str, model: str | None) -> None:
        """Show the session's surface and model, whoever chose them (Models' `m`, a deployment, a
        profile switch): one source of truth, and the one every send reads."""
        if not self.ready:
            return
        if self.surface != surface:
            self.show_surface(surface)
            self.load_models(session, surface)  # shows the model when the list arrives
        elif model and self.query_one("#chat-model", Select).value != model:
            self.show_models(session, surface, self.model_names)

    @work(exclusive=True, group="chat-models")
    async def load_models(self, session: Session, surface: str) -> None:
        names, reason = await fetch_models(session, surface)
        self.show_models(session, surface, names, reason)

    def show_models(
        self, session: Session, surface: str, names: list[str], reason: str | None = None
    ) -> None:
        self.model_names = list(names)
        note = self.query_one("#chat-model-note", Static)
        note.update(Text(f"No models: {reason}" if reason else "", "italic"))
        note.display = bool(reason)
        note.tooltip = reason
        current = session.model(surface)
        select = self.query_one("#chat-model", Select)
        with self.prevent(Select.Changed):
            select.set_options((inert(name), name) for name in with_current(names, current))
            if current:
                select.value = current
        if not current and names:
            select.value = names[0]  # announces Changed: becomes the surface's model

    # -- what is chosen -------------------------------------------------------------------------------
    @on(Select.Changed, "#chat-mode")
    def _mode_chosen(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.ModeChosen(str(event.value)))

    @on(Select.Changed, "#chat-surface")
    def _surface_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.post_message(self.SurfaceChosen(event.value))

    @on(Select.Changed, "#chat-model")
    def _model_chosen(self, event: Select.Changed) -> None:
        event.stop()
        # The surface shown beside it: a change of surface may still be on its way to the session.
        surface = self.surface
        if isinstance(event.value, str) and surface is not None:
            self.post_message(self.ModelChosen(surface, event.value))
