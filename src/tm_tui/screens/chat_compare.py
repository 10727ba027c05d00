"""Compare: one prompt to two or three targets (surface + model each), streamed side by side.

Every pane streams independently through its own `Turn` and worker; one flush timer shows them all
and each pane gets its metrics when its stream ends. Esc stops every stream (a second Esc closes).
Compare runs are not saved to history: they are measurements, not conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Select, Static

from tm_tui.chat.modes import Mode
from tm_tui.store.history import MessageStatus
from tm_tui.surface import Surface
from tm_tui.text_safety import inert, sanitize
from tm_tui.widgets.chat_message import AssistantMessage
from tm_tui.widgets.chat_toolbar import fetch_models, with_current
from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.prompt_input import PromptInput
from tm_tui.widgets.prompt_messages import PromptSubmitted

if TYPE_CHECKING:
    from tm_tui.app import TmApp
    from tm_tui.chat.cost import PricingTable
    from tm_tui.chat.params import Params
    from tm_tui.screens.chat_stream import Turn, TurnEnded

MAX_TARGETS = 3
OFF = "off"


@dataclass(frozen=True)
class Target:
    surface: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.model} @ {Surface(self.surface).label}"


class TargetRow(Horizontal):
    """Surface and model of one pane; the third row can be switched off."""

    def __init__(self, index: int, surface: str | None) -> None:
        super().__init__(id=f"target-{index}", classes="target-row")
        self.index = index
        self.initial_surface = surface

    def compose(self) -> ComposeResult:
        yield Static(f"{'ABC'[self.index]}", classes="target-name", markup=False)
        options: list[tuple[str, str]] = [(surface.label, surface) for surface in Surface]
        if self.index == MAX_TARGETS - 1:
            options.append(("off", OFF))
        yield Select(options, value=self.initial_surface or OFF, allow_blank=False, classes="target-surface",
                     compact=True)  # fmt: skip
        yield Select([], prompt="model…", classes="target-model", compact=True)

    @property
    def surface(self) -> str:
        return str(self.query_one(".target-surface", Select).value)

    @property
    def target(self) -> Target | None:
        model = self.query_one(".target-model", Select).value
        if self.surface == OFF or not isinstance(model, str):
            return None
        return Target(self.surface, model)

    def show_models(self, names: list[str], preferred: str | None) -> None:
        select = self.query_one(".target-model", Select)
        select.set_options((inert(name), name) for name in names)
        if preferred in names:
            select.value = preferred
        elif names:
            select.value = names[0]


class CompareScreen(Screen[None]):
    # Its own and the answer widget's: screen CSS is loaded with the screen that names it, and this
    # one must not depend on the chat screen having been shown first.
    CSS_PATH: ClassVar = [
        Path(__file__).with_name("chat_compare.tcss"),
        Path(__file__).parent.parent / "widgets/chat_message.tcss",
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_or_close", "Stop / close", id="compare.stop"),
    ]

    app: TmApp

    def __init__(
        self,
        *,
        prompt: str,
        mode: Mode,
        system_prompt: str,
        params: Params,
        pricing: PricingTable,
    ) -> None:
        super().__init__()
        self.prompt = prompt
        self.mode = mode
        self.system_prompt = system_prompt
        self.params = params
        self.pricing = pricing
        self.turns: dict[int, Turn] = {}
        self._timer: Timer | None = None
        self._models: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        surfaces = self._default_surfaces()
        yield ContextBar()
        with Vertical(id="compare-setup"):
            yield Static(
                Text(f"Compare · {self.mode.value} mode · Enter sends to every target · Esc stops all"),
                id="compare-title",
                markup=False,
            )
            for index in range(MAX_TARGETS):
                yield TargetRow(index, surfaces[index])
            yield PromptInput(id="compare-prompt", placeholder="Prompt for every target… (Enter sends)")
        with Horizontal(id="compare-panes"):
            for index in range(MAX_TARGETS):
                pane = VerticalScroll(id=f"pane-{index}", classes="compare-pane")
                pane.display = index < 2
                yield pane
        yield Footer()

    def _default_surfaces(self) -> list[str | None]:
        session = self.app.session
        first = session.surface if session else Surface.SERVERLESS
        other = Surface.ON_DEMAND if first == Surface.SERVERLESS else Surface.SERVERLESS
        second = other if session is not None and session.inference(other) is not None else first
        return [first, second, None]

    def on_mount(self) -> None:
        prompt = self.query_one(PromptInput)
        prompt.replace_text(self.prompt)
        prompt.focus()
        session = self.app.session
        if session is not None:
            for surface in {s for s in self._default_surfaces() if s}:
                self.load_models(surface)

    @work(group="compare-models")
    async def load_models(self, surface: str) -> None:
        session = self.app.session
        names = (await fetch_models(session, surface))[0] if session else []  # an empty row says enough
        self._models[surface] = with_current(names, session.model(surface) if session else None)
        self._fill_rows(surface)

    def _fill_rows(self, surface: str) -> None:
        names = self._models.get(surface, [])
        session = self.app.session
        preferred = session.model(surface) if session else None
        rows = [row for row in self.query(TargetRow) if row.surface == surface]
        for row in rows:
            # Two panes on one surface compare two models: the second picks the next one.
            taken = [r.target.model for r in self.query(TargetRow) if r is not row and r.target]
            choice = (
                preferred if preferred not in taken else next((n for n in names if n not in taken), preferred)
            )
            row.show_models(names, choice)

    @on(Select.Changed, ".target-surface")
    def _surface_changed(self, event: Select.Changed) -> None:
        surface = str(event.value)
        row = next(r for r in self.query(TargetRow) if event.select in r.query(Select))
        self.query_one(f"#pane-{row.index}").display = surface != OFF
        if surface == OFF:
            return
        if surface in self._models:
            row.show_models(self._models[surface], None)
        else:
            self.load_models(surface)

    # -- running ----------------------------------------------------------------------------------
    @on(PromptSubmitted)
    async def _send(self, event: PromptSubmitted) -> None:
        event.stop()
        from tm_tui.api.errors import ConfigError
        from tm_tui.screens.chat_stream import FLUSH_INTERVAL_S, Turn, body_with_prompt, open_stream, run_turn

        session = self.app.session
        if session is None or not event.text.strip() or self.turns:
            return
        targets = [(row.index, row.target) for row in self.query(TargetRow) if row.target is not None]
        if len(targets) < 2:
            self.notify("Choose at least two targets (surface and model).", severity="warning")
            return
        for index, target in targets:
            client = session.inference(target.surface)
            pane = self.query_one(f"#pane-{index}", VerticalScroll)
            await pane.remove_children()
            pane.anchor(False)  # the new answer starts at the top (`_follow`)
            widget = AssistantMessage(None, model=None, title=f"{'ABC'[index]}: {sanitize(target.label)}")
            await pane.mount(widget)
            if client is None:
                reason = session.inference_reason(target.surface) or "This surface is not configured."
                await widget.finish("", "", MessageStatus.ERROR, None, ConfigError(reason))
                continue
            body = body_with_prompt(
                self.mode, target.model, [], event.text, system_prompt=self.system_prompt, params=self.params
            )
            turn = self.turns[index] = Turn(key=index, model=target.model)
            turn.worker = self.run_worker(
                run_turn(turn, partial(open_stream, client, self.mode, body), self.post_message),
                group=f"compare-{index}",
                exclusive=True,
            )
        event.prompt.replace_text("")  # sent: the next prompt starts empty (the panes keep their titles)
        if self.turns:
            self._timer = self.set_interval(FLUSH_INTERVAL_S, self._flush)

    async def _flush(self) -> None:
        with self.app.batch_update():  # every pane's new text in one frame
            for index, turn in list(self.turns.items()):
                if turn.take_update():
                    await self._pane_message(index).show_live(turn.content, turn.reasoning)
                    self.call_after_refresh(self._follow, index)  # once its new height is known

    def _pane_message(self, index: int) -> AssistantMessage:
        return self.query_one(f"#pane-{index} AssistantMessage", AssistantMessage)

    def _follow(self, index: int) -> None:
        """Once an answer is taller than its pane, the pane follows its end (Textual's anchor, which
        the user's own scrolling releases). Not before: an anchored pane with room to spare shows its
        text pushed down."""
        pane = next(self.query(f"#pane-{index}").results(VerticalScroll), None)
        if pane is not None and not pane.is_anchored and pane.max_scroll_y > 0:
            pane.anchor()

    async def on_turn_ended(self, message: TurnEnded) -> None:
        from tm_tui.screens.chat_stream import next_step, outcome_of

        message.stop()
        index = message.turn.key
        if self.turns.get(index) is not message.turn:
            return
        del self.turns[index]
        if not self.is_attached:  # the app is quitting (its workers cancelled): nothing to show
            return
        outcome = outcome_of(message, self.pricing)
        hint = next_step(outcome.error, can_open_account=False).replace("ctrl+r retries", "Enter sends again")
        await self._pane_message(index).show_live(message.turn.content, message.turn.reasoning)
        await self._pane_message(index).finish(
            outcome.content, outcome.reasoning, outcome.status, outcome.metrics, outcome.error,
            hint if outcome.error else "",
        )  # fmt: skip
        self.call_after_refresh(self._follow, index)
        if not self.turns and self._timer is not None:
            self._timer.stop()

    def action_stop_or_close(self) -> None:
        if self.turns:
            for turn in self.turns.values():
                turn.stop()
        else:
            self.dismiss()
