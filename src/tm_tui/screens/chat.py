"""Chat section: the streaming playground.

State lives in a `ChatSession` (chat core), which saves to history as things happen: the user message
before the request, the answer while it streams (on the flush timer), the final text with metrics.
One answer streams at a time; its `Turn` is filled by a worker and shown by a timer, and the single
`TurnEnded` handler finishes it (see `chat_stream`). Long conversations mount only their last
`RENDERED_TAIL` messages; earlier ones come in `EARLIER_PAGE` at a time when the view reaches the top,
and at most `MOUNTED_WINDOW` stay mounted (the far end is unmounted, and paged back in the same way).

This is the default section, so it is built before the first frame: compose makes only what shows
(toolbar, an empty conversation, a stand-in for the prompt) and nothing heavy is imported at module
level — the prompt (a `TextArea`, mounted right after the first frame), the message widgets
(Markdown), the parameters panel (mounted on first ctrl+t), the history store, the chat core and the
API layer are imported inside the methods that run later.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Select, Static

from tm_tui.screens.sections import SECTIONS, SectionScreen
from tm_tui.session import SessionChange
from tm_tui.surface import Surface
from tm_tui.text_safety import inert
from tm_tui.widgets.metrics_bar import ConversationBar
from tm_tui.widgets.prompt_input import PromptInput
from tm_tui.widgets.prompt_messages import PromptRecall, PromptSubmitted

if TYPE_CHECKING:
    from tm_tui.chat.code_snippets import RequestSpec
    from tm_tui.chat.conversation import ChatSession, PromptHistory
    from tm_tui.chat.cost import PricingTable
    from tm_tui.screens.chat_stream import Outcome, Turn, TurnEnded
    from tm_tui.session import Session
    from tm_tui.store.history import HistoryStore, StoredMessage
    from tm_tui.widgets.chat_message import MessageView
    from tm_tui.widgets.params_panel import ParamsPanel

HERE = Path(__file__).parent
# Keyed by `Mode` values (a StrEnum, so `MODE_LABELS[mode]` works): the history store that defines
# `Mode` is not imported before the first frame. A test keeps the two in step.
MODE_LABELS: dict[str, str] = {
    "chat": "Chat completions",
    "completion": "Completions",
    "responses": "Responses",
}
RENDERED_TAIL = 6  # messages mounted when a conversation opens
EARLIER_PAGE = 20  # messages mounted each time the view reaches the top (or the button is pressed)
MOUNTED_WINDOW = 60  # at most this many messages are mounted: layout cost grows with each one
PROMPT_PLACEHOLDER = "Message… (Enter sends)"
EMPTY_HINT = (
    "Type a prompt and press Enter. ctrl+j adds a line; ↑/↓ recall earlier prompts.\n"
    "ctrl+t parameters · ctrl+o history · ctrl+b compare · alt+m mode · F1 every key"
)


class ReplySaved(Message):
    """The finished answer of `chat` is in history (posted by the saving thread)."""

    def __init__(self, chat: ChatSession, *, saved_again: bool) -> None:
        super().__init__()
        self.chat = chat
        self.saved_again = saved_again


class ChatScreen(SectionScreen):
    SECTION_ID = "chat"
    AUTO_FOCUS = "#prompt"
    CSS_PATH: ClassVar = [
        HERE / "chat.tcss",
        HERE.parent / "widgets/chat_message.tcss",
        HERE.parent / "widgets/params_panel.tcss",
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="chat.stop", tooltip="Stop the answer (keeps the text so far)"),
        Binding("ctrl+r", "retry", "Retry", id="chat.retry", tooltip="Regenerate the last answer"),
        Binding("ctrl+n", "new_conversation", "New", id="chat.new", tooltip="Start a new conversation"),
        Binding(
            "ctrl+t",
            "toggle_params",
            "Params",
            id="chat.params",
            tooltip="System prompt, parameters, presets",
        ),
        Binding(
            "alt+m",
            "cycle_mode",
            "Mode",
            id="chat.mode",
            tooltip="Chat completions → Completions → Responses",
        ),
        Binding(
            "ctrl+o",
            "history",
            "History",
            id="chat.history",
            tooltip="Browse, search and resume conversations",
        ),
        Binding(
            "ctrl+s",
            "export",
            "Export",
            id="chat.export",
            tooltip="Save the conversation as Markdown or JSON",
        ),
        Binding("ctrl+g", "view_code", "Code", id="chat.code", tooltip="The last request as curl / Python"),
        Binding(
            "ctrl+b",
            "compare",
            "Compare",
            id="chat.compare",
            tooltip="Send one prompt to 2-3 models side by side",
        ),
        Binding(
            "ctrl+l", "open_account", "Log in / key", id="chat.account", tooltip="Open Account (after a 401)"
        ),
        # Scrolling the conversation from the prompt (its own keys move the cursor); on a focused
        # message PageUp/PageDown/Home/End do the same (`MessageView`).
        Binding("ctrl+up", "conversation_page('up')", "Page up", show=False, id="chat.scroll.up"),
        Binding("ctrl+down", "conversation_page('down')", "Page down", show=False, id="chat.scroll.down"),
        Binding("ctrl+home", "conversation_top", "First message", show=False, id="chat.scroll.top"),
        Binding("ctrl+end", "conversation_bottom", "Last message", show=False, id="chat.scroll.bottom"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.store: HistoryStore | None = None
        self.chat: ChatSession | None = None
        self.prompts: PromptHistory | None = None
        self.turn: Turn | None = None
        self.pricing: PricingTable = {}
        self.last_request: RequestSpec | None = None
        self.editing: int | None = None  # id of the user message being edited
        self.last_error: BaseException | None = None
        self._flush_timer: Timer | None = None
        self._hidden_before = 0  # older messages not mounted (yet)
        self._hidden_after = 0  # newer messages unmounted while reading far back
        self._paging = False
        self._params: ParamsPanel | None = None  # mounted on first use (ctrl+t)
        self._toolbar_ready = False
        self._waiting_session: Session | None = None
        self._model_names: list[str] = []  # the active surface's list, as last loaded
        self._armed_regenerate: int | None = None  # an older answer whose `r` awaits a second press
        self._new_after_stop = False

    # -- layout -------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="chat-toolbar"):  # stand-ins until `_mount_toolbar` (after the first frame)
            yield Static(MODE_LABELS["chat"], id="chat-mode-stub", classes="toolbar-stub", markup=False)
            yield Static(
                Surface.SERVERLESS.label, id="chat-surface-stub", classes="toolbar-stub", markup=False
            )
            yield Static("model…", id="chat-model-stub", classes="toolbar-stub", markup=False)
            yield Static("", id="chat-model-note", markup=False)  # why the model list is empty
        with Horizontal(id="chat-main"), VerticalScroll(id="conversation"):
            yield Static(EMPTY_HINT, id="chat-empty", markup=False)
        yield ConversationBar(id="chat-totals")
        with Vertical(id="prompt-box"):
            yield Static("", id="edit-note", markup=False)
            # In the first frame, focused (AUTO_FOCUS): the footer's first keys are the prompt's
            # (bench/bench_startup.py waits for them). A stand-in swapped in later cost a second
            # footer rebuild and kept "Send" out of the footer for a few hundred ms.
            yield PromptInput(id="prompt", placeholder=PROMPT_PLACEHOLDER)

    def on_mount(self) -> None:
        super().on_mount()
        conversation = self._conversation
        conversation.anchor()
        self.watch(conversation, "scroll_y", self._scrolled, init=False)
        self.query_one("#edit-note").display = False
        self.query_one("#chat-model-note").display = False
        self.call_after_refresh(self._mount_toolbar)

    async def _mount_toolbar(self) -> None:
        """The toolbar's dropdowns, in place of their stand-ins: three `Select`s (each with its option
        list) are a good part of a first frame's cost, and nothing needs them before the session."""
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
        toolbar = self.query_one("#chat-toolbar")
        with self.app.batch_update():
            await toolbar.query(".toolbar-stub").remove()
            await toolbar.mount_all(selects, before="#chat-model-note")
        self._toolbar_ready = True
        if self._waiting_session is not None:
            session, self._waiting_session = self._waiting_session, None
            self.session_changed(session)

    def _open_store(self) -> None:
        from tm_tui.chat.conversation import PromptHistory
        from tm_tui.store.history import HistoryError, HistoryStore

        try:
            self.store = HistoryStore.open_default(self.app.env)
        except HistoryError as error:
            self.notify(
                f"{error}\nThis session's chats are not saved.",
                title="History",
                severity="warning",
                markup=False,
            )
            self.store = HistoryStore(Path(":memory:"))
        self.prompts = PromptHistory(self.store)

    def on_unmount(self) -> None:
        if self.turn is not None:
            self.turn.stop()
        if self.store is not None:
            self.store.close()

    # -- session ------------------------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        if not self._toolbar_ready:  # the session came first: `_mount_toolbar` calls back
            self._waiting_session = session
            return
        if self.store is None:
            self._open_store()
        if self._params is not None:
            self._params.use_presets(self._preset_store(), session.profile_name)
        self.query_one("#chat-surface", Select).value = session.surface
        if self.chat is None:
            self._new_chat()
            self._refresh_totals()
        self.load_models(session, session.surface)
        self.load_pricing(session)

    def context_changed(self, context: Any) -> None:
        if self.chat is not None and context.model and not self.chat.messages:
            self.chat.configure(model=context.model, surface=context.surface, profile=context.profile)
        self._follow_context(context)

    def _follow_context(self, context: Any) -> None:
        """The toolbar shows the session's surface and model, whoever chose them (Models' `m`, a
        deployment, a profile switch): one source of truth, and the one every send reads."""
        session = self.app.session
        if not self._toolbar_ready or session is None:
            return
        surface_select = self.query_one("#chat-surface", Select)
        if surface_select.value != context.surface:
            with self.prevent(Select.Changed):
                surface_select.value = context.surface
            self.load_models(session, context.surface)  # shows the model when the list arrives
        elif context.model and self.query_one("#chat-model", Select).value != context.model:
            self._show_models(session, context.surface, self._model_names)

    @work(exclusive=True, group="chat-pricing")
    async def load_pricing(self, session: Session) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.chat.cost import pricing_table

        if session.control_plane is None:
            return  # cost stays unknown: pricing comes from the control plane
        try:
            self.pricing = pricing_table(await session.control_plane.serverless_pricing())
        except TmError:
            self.pricing = {}

    @work(exclusive=True, group="chat-models")
    async def load_models(self, session: Session, surface: str) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.widgets.error_panel import describe

        client = session.inference(surface)
        names: list[str] = []
        reason = None if client is not None else session.inference_reason(surface) or "not configured"
        if client is not None:
            try:
                names = [model.id for model in (await client.models()).data]
            except TmError as error:
                info = describe(error)
                reason = f"{info.title.lower()}: {info.message}"
        self._show_models(session, surface, names, reason)

    def _show_models(
        self, session: Session, surface: str, names: list[str], reason: str | None = None
    ) -> None:
        self._model_names = names = list(names)
        note = self.query_one("#chat-model-note", Static)
        note.update(Text(f"No models: {reason}" if reason else "", "italic"))
        note.display = bool(reason)
        note.tooltip = reason
        current = session.model(surface)
        if current and current not in names:
            names.insert(0, current)  # a model typed elsewhere stays selectable
        select = self.query_one("#chat-model", Select)
        with self.prevent(Select.Changed):
            select.set_options((inert(name), name) for name in names)
            if current:
                select.value = current
        if not current and names:
            select.value = names[0]  # announces Changed: becomes the surface's model

    @on(Select.Changed, "#chat-surface")
    def _surface_chosen(self, event: Select.Changed) -> None:
        session = self.app.session
        if session is None or not isinstance(event.value, str) or event.value == session.surface:
            return
        self.app.request_session_change(SessionChange(surface=event.value))
        self.load_models(session, event.value)

    @on(Select.Changed, "#chat-model")
    def _model_chosen(self, event: Select.Changed) -> None:
        session = self.app.session
        # The surface shown beside it: a change of surface may still be on its way to the session.
        surface = self.query_one("#chat-surface", Select).value
        if (
            session is None
            or not isinstance(event.value, str)
            or not isinstance(surface, str)
            or event.value == session.model(surface)
        ):
            return
        self.app.request_session_change(SessionChange(surface=surface, model=event.value))

    @on(Select.Changed, "#chat-mode")
    def _mode_chosen(self, event: Select.Changed) -> None:
        if self.chat is None and self._params is None:
            return  # the select's first announcement: a new chat reads the select itself
        from tm_tui.chat.modes import Mode

        mode = Mode(str(event.value))
        if self.chat is not None and mode is not self.chat.mode:
            self.chat.configure(mode=mode)
        if self._params is not None:
            self._params.set_mode(mode)

    def _target(self) -> tuple[Any, str] | None:
        """The active surface's client and model, or None after telling the user what is missing."""
        session = self.app.session
        if session is None:
            self.notify("Still starting up…", severity="warning")
            return None
        client = session.inference()
        if client is None:
            self.notify(
                session.inference_reason() or "Not configured.",
                title="Cannot send",
                severity="error",
                markup=False,
            )
            return None
        model = session.model(session.surface)
        if not model:
            self.notify("Choose a model in the toolbar first.", title="Cannot send", severity="warning")
            return None
        return client, model

    def _new_chat(self) -> None:
        from tm_tui.chat.conversation import ChatSession
        from tm_tui.chat.modes import Mode

        assert self.store is not None
        session = self.app.session
        params, system_prompt = self._settings()
        self.chat = ChatSession.new(
            self.store,
            model=session.model(session.surface) or "" if session else "",
            surface=session.surface if session else None,
            profile=session.profile_name if session else None,
            mode=Mode(str(self.query_one("#chat-mode", Select).value)),
            system_prompt=system_prompt,
            params=params,
        )

    def _settings(self) -> tuple[Any, str]:
        """The parameters and system prompt a new request uses: the panel's once it exists, else
        the current conversation's (which is what the panel would be showing)."""
        if self._params is not None:
            return self._params.validate(announce=False)[0], self._params.system_prompt
        if self.chat is not None:
            return self.chat.params, self.chat.system_prompt
        return None, ""

    # -- sending ------------------------------------------------------------------------------------
    @on(PromptSubmitted)
    async def _submitted(self, event: PromptSubmitted) -> None:
        text = event.text
        if not text.strip():
            return
        if self.turn is not None:
            self.notify("An answer is still streaming: Esc stops it.", severity="warning")
            return
        target = self._target()
        if target is None or self.chat is None or not self._params_valid():
            return
        client, model = target
        saved_again = self.chat.saved_again
        editing = None if self.editing is None else self._index_of(self.editing)  # ids may change below
        self._use_target(model)
        if self.editing is not None:
            self._end_edit()
            if editing is None:
                return
            self.chat.edit_and_resend(editing, text)
            await self.render_conversation()
        else:
            self.chat.send(text)  # saved before anything goes on the wire
            if self._hidden_after or self.chat.saved_again != saved_again:  # far back, or new ids
                await self.render_conversation()
            else:
                await self._append(_widget_for(self.chat.messages[-1]))  # the rest is unchanged
                self._refresh_totals()
        event.prompt.replace_text("")
        assert self.prompts is not None
        self.prompts.reset()
        await self._start_reply(client)

    def _use_target(self, model: str) -> None:
        """The conversation goes on with the session's surface and model (the toolbar's), whatever
        it was started with."""
        session = self.app.session
        assert session is not None and self.chat is not None
        self.chat.configure(model=model, surface=session.surface, profile=session.profile_name)

    async def _start_reply(self, client: Any) -> None:
        from tm_tui.screens.chat_stream import FLUSH_INTERVAL_S, Turn, open_stream, request_spec, run_turn
        from tm_tui.widgets.chat_message import AssistantMessage

        assert self.chat is not None
        body = self.chat.request_body()
        self.last_request = request_spec(client, self.chat.mode, body)
        reply = self.chat.begin_reply()
        await self._append(AssistantMessage(reply.message_id, model=reply.model))
        self.query_one("#chat-empty").display = False
        turn = self.turn = Turn(key=reply.message_id, model=self.chat.model)
        mode = self.chat.mode
        turn.worker = self.run_worker(
            run_turn(turn, lambda: open_stream(client, mode, body), self.post_message),
            group="chat-stream",
            exclusive=True,
        )
        self._flush_timer = self.set_interval(FLUSH_INTERVAL_S, self._flush)
        # While the answer streams, the cyclic GC leaves every object that existed before it alone:
        # a full collection walks the whole heap (100+ ms here, a visible stall). `_reply_saved`
        # hands them back, so garbage among them is collected later rather than kept.
        gc.freeze()
        self.refresh_bindings()

    async def _flush(self) -> None:
        """The timer: show the text that arrived since the last tick and save it to history."""
        from tm_tui.widgets.chat_message import AssistantMessage

        turn, chat = self.turn, self.chat
        if turn is None or chat is None or chat.reply is None or not turn.take_update():
            return
        content, reasoning = turn.content, turn.reasoning
        reply = chat.reply
        reply.add(text=content[len(reply.content) :], reasoning=reasoning[len(reply.reasoning) :])
        chat.save_partial()
        widget = self._message_widget(turn.key)
        if isinstance(widget, AssistantMessage):
            await widget.show_live(content, reasoning)

    async def on_turn_ended(self, message: TurnEnded) -> None:
        """Show the outcome, then save it from a thread: the turn stays busy (no new send) until then."""
        from tm_tui.screens.chat_stream import next_step, outcome_of
        from tm_tui.widgets.chat_message import AssistantMessage

        message.stop()
        if message.turn is not self.turn or self.chat is None:
            return
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush()
        outcome = outcome_of(message, self.pricing)
        error = self.last_error = outcome.error
        if error is not None and not _is_tm_error(error):
            self.app.report_error(error)  # a bug: logged with its traceback
        widget = self._message_widget(message.turn.key)
        if isinstance(widget, AssistantMessage):
            hint = next_step(error, can_open_account=_has_account_section()) if error is not None else ""
            await widget.finish(
                outcome.content, outcome.reasoning, outcome.status, outcome.metrics, error, hint
            )
        self._save_reply(self.chat, outcome)

    @work(thread=True, group="chat-save")
    def _save_reply(self, chat: ChatSession, outcome: Outcome) -> None:
        # Off the UI thread: the write and the conversation reload grow with the conversation.
        error, saved_again = outcome.error, chat.saved_again
        chat.finish_reply(
            outcome.status, outcome.metrics, error=None if error is None else str(error),
            content=outcome.content, reasoning=outcome.reasoning,
        )  # fmt: skip
        self.post_message(ReplySaved(chat, saved_again=chat.saved_again != saved_again))

    @on(ReplySaved)
    async def _reply_saved(self, message: ReplySaved) -> None:
        message.stop()
        self.turn = None
        gc.unfreeze()
        if message.chat is self.chat:
            if self._new_after_stop:  # ctrl+n while it streamed
                self._new_after_stop = False
                await self.action_new_conversation()
            elif message.saved_again:  # deleted from history meanwhile: saved anew, with new ids
                await self.render_conversation()
            else:
                self._refresh_totals()
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.turn is not None or self.editing is not None
        if action == "open_account":
            return _is_auth_error(self.last_error) or None
        return True

    def action_stop(self) -> None:
        if self.turn is not None:
            self.turn.stop()
        elif self.editing is not None:
            self._end_edit()
            self._prompt.replace_text("")

    async def action_retry(self) -> None:
        """ctrl+r: regenerate the last answer."""
        await self._regenerate(None)

    async def action_regenerate_message(self) -> None:
        """`r` on an answer: regenerate that answer. An older one asks first (a second `r`), since the
        turns after it are removed: the new answer continues the conversation from there."""
        widget = self._focused_message()
        index = self._index_of(widget.message_id) if widget else None
        if widget is None or index is None or self.chat is None or self.turn is not None:
            return
        later = self.chat.later_messages(index)
        if later and self._armed_regenerate != widget.message_id:
            self._armed_regenerate = widget.message_id
            self.notify(
                f"Press r again to regenerate this answer: the {later} later messages will be removed.",
                title="Regenerate",
            )
            return
        await self._regenerate(index)

    async def _regenerate(self, index: int | None) -> None:
        self._armed_regenerate = None
        if self.turn is not None or self.chat is None:
            return
        target = self._target()
        if target is None or not self._params_valid():
            return
        self._use_target(target[1])
        if not self.chat.regenerate(index):
            self.notify("Nothing to retry yet.", severity="information")
            return
        await self.render_conversation()
        await self._start_reply(target[0])

    def _params_valid(self) -> bool:
        """Invalid parameters are never left out silently: nothing is sent until they are fixed."""
        from tm_tui.chat.params import PARAM_FIELDS

        if self._params is None:
            return True  # nothing edited: the conversation's stored values are valid
        errors = self._params.validate(announce=False)[1]  # also marks the fields
        if not errors:
            return True
        fields = ", ".join(f"{f.label} ({errors[f.key]})" for f in PARAM_FIELDS if f.key in errors)
        self.notify(f"Fix these parameters first (ctrl+t): {fields}", title="Not sent", severity="error",
                    markup=False)  # fmt: skip
        return False

    async def action_new_conversation(self) -> None:
        if self.turn is not None:
            self._new_after_stop = True  # the stopped answer is saved first (`_reply_saved`)
            self.turn.stop()
            return
        self._end_edit()
        self._new_chat()
        self.last_request = None
        await self.render_conversation()

    async def action_toggle_params(self) -> None:
        panel = self._params
        if panel is None:
            panel = await self._mount_params()
        else:
            panel.display = not panel.display
        if panel.display:
            panel.query_one("#system-prompt").focus()
        else:
            self._prompt.focus()

    async def _mount_params(self) -> ParamsPanel:
        """The panel, filled with the current conversation's settings (what a new request would use)."""
        from tm_tui.widgets.params_panel import ParamsPanel

        panel = self._params = ParamsPanel(id="params")
        await self.query_one("#chat-main").mount(panel)
        params, system_prompt = self._settings()
        if params is not None:
            panel.load(params.to_raw(), system_prompt, announce=False)
        if self.chat is not None:
            panel.set_mode(self.chat.mode)
        session = self.app.session
        if session is not None:
            panel.use_presets(self._preset_store(), session.profile_name)
        return panel

    def _preset_store(self) -> Any:
        from tm_tui.chat.presets import PresetStore

        return PresetStore.open_default(self.app.env)

    def action_cycle_mode(self) -> None:
        if not self._toolbar_ready:
            return
        select = self.query_one("#chat-mode", Select)
        modes = list(MODE_LABELS)
        select.value = modes[(modes.index(str(select.value)) + 1) % len(modes)]

    def action_open_account(self) -> None:
        if _has_account_section():
            self.app.action_open_section("account")  # the one way sections are opened
        else:
            self.notify(
                "Set TENSORMESH_INFERENCE_API_KEY (or the key in tm-tui's profile / the tm CLI config) and restart.",
                title="Inference API key",
            )

    def on_params_panel_changed(self, event: ParamsPanel.Changed) -> None:
        event.stop()
        if self.chat is None:
            return
        if event.params != self.chat.params or event.system_prompt != self.chat.system_prompt:
            self.chat.configure(params=event.params, system_prompt=event.system_prompt)

    # -- acting on one message ------------------------------------------------------------------------
    def _focused_message(self) -> MessageView | None:
        from tm_tui.widgets.chat_message import MessageView

        focused = self.focused
        return focused if isinstance(focused, MessageView) else None

    def _index_of(self, message_id: int | None) -> int | None:
        messages = self.chat.messages if self.chat else []
        return next((i for i, m in enumerate(messages) if m.id == message_id), None)

    def action_edit_message(self) -> None:
        from tm_tui.widgets.chat_message import UserMessage

        widget = self._focused_message()
        if not isinstance(widget, UserMessage) or self.turn is not None:
            return
        self.editing = widget.message_id
        note = self.query_one("#edit-note", Static)
        note.update(
            Text("Editing a sent message: Enter resends from there (later turns are replaced), Esc cancels.")
        )
        note.display = True
        prompt = self._prompt
        prompt.replace_text(widget.text)
        prompt.focus()
        self.refresh_bindings()

    def _end_edit(self) -> None:
        self.editing = None
        self.query_one("#edit-note").display = False
        self.refresh_bindings()

    async def action_delete_message(self) -> None:
        widget = self._focused_message()
        index = self._index_of(widget.message_id) if widget else None
        if index is None or self.chat is None or self.turn is not None:
            return
        self.chat.delete_turn(index)
        await self.render_conversation()
        self._prompt.focus()

    def action_copy_message(self) -> None:
        from tm_tui.widgets.chat_message import UserMessage

        widget = self._focused_message()
        if widget is None:
            return
        text = widget.text if isinstance(widget, UserMessage) else widget.content  # type: ignore[attr-defined]  # the other kind, AssistantMessage, has it
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters to the clipboard (OSC 52).")

    # -- modals ---------------------------------------------------------------------------------------
    def action_history(self) -> None:
        from tm_tui.screens.chat_history import HistoryBrowser

        if self.store is not None:
            self.app.push_screen(HistoryBrowser(self.store, current=self.chat.conversation_id if self.chat else None),
                                 self._resume)  # fmt: skip

    async def _resume(self, conversation_id: int | None) -> None:
        if conversation_id is None or self.store is None:
            return
        if self.turn is not None:
            self.notify("Stop the streaming answer first (Esc).", severity="warning")
            return
        from tm_tui.chat.conversation import ChatSession

        try:
            self.chat = ChatSession.resume(self.store, conversation_id)
        except KeyError:
            self.notify("That conversation no longer exists.", severity="warning")
            return
        self._end_edit()
        self.last_request = None
        chat = self.chat
        with self.prevent(Select.Changed):
            self.query_one("#chat-mode", Select).value = chat.mode.value
        if self._params is not None:
            self._params.load(chat.params.to_raw(), chat.system_prompt)
            self._params.set_mode(chat.mode)
        session = self.app.session
        conversation_surface = self.store.load_conversation(conversation_id).surface
        if session is not None and chat.model:
            surface = conversation_surface if conversation_surface in Surface else session.surface
            self.app.request_session_change(SessionChange(surface=surface, model=chat.model))
            with self.prevent(Select.Changed):  # the request above covers the surface
                self.query_one("#chat-surface", Select).value = surface
            self.load_models(session, surface)
        await self.render_conversation()

    def action_export(self) -> None:
        from tm_tui.screens.chat_export import ExportScreen

        if self.chat is None or self.chat.conversation is None:
            self.notify("Nothing to export yet.", severity="information")
            return
        conversation = self.chat.conversation  # as shown: it may have been deleted from history
        self.app.push_screen(ExportScreen(conversation, self.app.env))

    def action_view_code(self) -> None:
        from tm_tui.screens.chat_export import ViewCodeScreen

        spec = self.last_request or self._draft_request()
        if spec is None:
            self.notify("Send a message first: View code shows the last request.", severity="information")
            return
        self.app.push_screen(ViewCodeScreen(spec))

    def _draft_request(self) -> RequestSpec | None:
        """Before anything was sent: the request the current draft would make."""
        session = self.app.session
        client = session.inference() if session else None
        draft = self._prompt.text
        if self.chat is None or client is None or not draft.strip():
            return None
        from tm_tui.screens.chat_stream import body_with_prompt, request_spec

        body = body_with_prompt(
            self.chat.mode, self.chat.model, self.chat.messages, draft,
            system_prompt=self.chat.system_prompt, params=self.chat.params,
        )  # fmt: skip
        return request_spec(client, self.chat.mode, body)

    def requests_for_tokenizer(self) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
        """The last request sent and the one the draft would send (the Tokenizer's "from Chat")."""
        draft = self._draft_request()
        return (self.last_request.body if self.last_request else None, draft.body if draft else None)

    def action_compare(self) -> None:
        from tm_tui.screens.chat_compare import CompareScreen

        session = self.app.session
        if session is None or self.chat is None:
            return
        params, _ = self._settings()
        self.app.push_screen(
            CompareScreen(
                prompt=self._prompt.text,
                mode=self.chat.mode,
                system_prompt=self.chat.system_prompt,
                params=params,
                pricing=self.pricing,
            )
        )

    # -- prompt history -------------------------------------------------------------------------------
    @on(PromptRecall)
    def _recall(self, event: PromptRecall) -> None:
        if self.prompts is None:
            return
        text = self.prompts.previous(event.prompt.text) if event.older else self.prompts.next()
        if text is not None:
            event.prompt.replace_text(text)

    # -- rendering ------------------------------------------------------------------------------------
    @property
    def _prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    @property
    def _conversation(self) -> VerticalScroll:
        return self.query_one("#conversation", VerticalScroll)

    def _message_widget(self, message_id: Any) -> MessageView | None:
        from tm_tui.widgets.chat_message import MessageView

        # Children only: a deep query walks every block of every answer (this runs on each flush).
        found = self._conversation.query_children(MessageView)
        return next((w for w in found if w.message_id == message_id), None)

    async def render_conversation(self, *, at_start: bool = False) -> None:
        """Rebuild the message list from the chat session (after opening, editing, deleting): its
        last `RENDERED_TAIL` messages; `load_earlier` brings in the rest a page at a time. `at_start`:
        its first `EARLIER_PAGE` messages instead, the view at the top (`load_later` goes on)."""
        from tm_tui.widgets.chat_message import MessageView

        messages = self.chat.messages if self.chat else []
        shown = messages[:EARLIER_PAGE] if at_start else messages[-RENDERED_TAIL:]
        hidden = len(messages) - len(shown)
        self._hidden_before, self._hidden_after = (0, hidden) if at_start else (hidden, 0)
        scroll = self._conversation
        with self.app.batch_update():
            await scroll.query(MessageView).remove()
            await self._append(*[_widget_for(m) for m in shown])
        await self._show_paging_buttons()
        self.query_one("#chat-empty").display = not messages
        self._refresh_totals()
        if at_start:
            scroll.release_anchor()
            scroll.scroll_home(animate=False, immediate=True)
        else:
            scroll.anchor()

    # -- scrolling from the keyboard ------------------------------------------------------------------
    async def action_conversation_page(self, direction: str) -> None:
        """One page up or down; at either end of what is mounted, the next page comes in (as when
        the view is scrolled there)."""
        scroll = self._conversation
        if direction == "up":
            if scroll.scroll_y <= 0:
                await self.load_earlier()
            else:
                scroll.scroll_page_up(animate=False)
        elif scroll.scroll_y >= scroll.max_scroll_y:
            await self.load_later()
        else:
            scroll.scroll_page_down(animate=False)

    async def action_conversation_top(self) -> None:
        """The first message of the conversation, however long (not just the top of what is mounted)."""
        on_message = self._focused_message() is not None
        if self._hidden_before > 0:
            await self.render_conversation(at_start=True)
        else:
            self._conversation.scroll_home(animate=False)
        if on_message:  # keys keep working on the messages (the focused one may be gone)
            self._focus_message(0)

    async def action_conversation_bottom(self) -> None:
        on_message = self._focused_message() is not None
        if self._hidden_after > 0:
            await self.render_conversation()
        self._conversation.scroll_end(animate=False)
        if on_message:
            self._focus_message(-1)

    def _focus_message(self, index: int) -> None:
        from tm_tui.widgets.chat_message import MessageView

        messages = list(self._conversation.query(MessageView))
        if messages:
            messages[index].focus(scroll_visible=False)

    async def _append(self, *widgets: MessageView) -> None:
        """Mount messages after the last one (above the "later messages" button, if any)."""
        later = next(self.query("#show-later").results(Button), None)
        await self._conversation.mount_all(widgets, before=later)

    async def load_earlier(self) -> None:
        """Mount the previous `EARLIER_PAGE` messages above the first shown one, keeping the view still
        (the message that was first stays at the same place on screen); past `MOUNTED_WINDOW`
        messages, the last ones are unmounted (`load_later` brings them back)."""
        if self._paging or self._hidden_before <= 0 or self.chat is None:
            return
        start = max(0, self._hidden_before - EARLIER_PAGE)
        page = self.chat.messages[start : self._hidden_before]
        self._hidden_before = start
        await self._page_in(page, at_top=True)

    async def load_later(self) -> None:
        """`load_earlier` the other way: the next page below the last shown message, dropping the first ones."""
        if self._paging or self._hidden_after <= 0 or self.chat is None:
            return
        end = len(self.chat.messages) - self._hidden_after
        page = self.chat.messages[end : end + EARLIER_PAGE]
        self._hidden_after -= len(page)
        await self._page_in(page, at_top=False)

    async def _page_in(self, page: list[StoredMessage], *, at_top: bool) -> None:
        from tm_tui.widgets.chat_message import MessageView

        self._paging = True  # until the view is back in place: scrolling meanwhile pages nothing
        scroll = self._conversation
        scroll.release_anchor()  # new content must not pull the view to the end (re-engages there)
        mounted = list(scroll.query(MessageView))
        # `kept` stays where it is on screen; if it is off screen (a button pressed far from it), it
        # comes to the nearest edge, so the view follows the paging (never left behind at either end).
        kept = mounted[0] if at_top else mounted[-1]
        offset = min(max(0, kept.virtual_region.y - round(scroll.scroll_y)), scroll.size.height - 1)
        excess = max(0, len(mounted) + len(page) - MOUNTED_WINDOW)
        with self.app.batch_update():
            if at_top:
                await scroll.mount_all([_widget_for(m) for m in page], before=kept)
                far = mounted[len(mounted) - excess :]
                self._hidden_after += excess
            else:
                await scroll.mount_all([_widget_for(m) for m in page], after=kept)
                far = mounted[:excess]
                self._hidden_before += excess
            if far:
                if self.focused in far:
                    kept.focus(scroll_visible=False)  # focus must not jump (and scroll) elsewhere
                await scroll.remove_children(far)
        await self._show_paging_buttons()

        def restore() -> None:
            scroll.scroll_to(y=kept.virtual_region.y - offset, animate=False, immediate=True)
            self._paging = False

        scroll.call_after_refresh(restore)

    def _scrolled(self, scroll_y: float) -> None:
        if self._paging:
            return
        if scroll_y <= 0 and self._hidden_before > 0:
            self.call_later(self.load_earlier)
        elif self._hidden_after > 0 and scroll_y >= self._conversation.max_scroll_y:
            self.call_later(self.load_later)

    async def _show_paging_buttons(self) -> None:
        """The buttons above and below the messages, while some are not mounted (each made the
        first time it is needed)."""
        await self._paging_button("show-earlier", self._hidden_before, "↑", "scroll up", nearest=0)
        await self._paging_button("show-later", self._hidden_after, "↓", "scroll down", nearest=-1)

    async def _paging_button(
        self, button_id: str, hidden: int, arrow: str, how: str, *, nearest: int
    ) -> None:
        button = next(self.query(f"#{button_id}").results(Button), None)
        if button is None:
            if not hidden:
                return
            button = Button("", id=button_id, compact=True)
            if button_id == "show-earlier":
                await self._conversation.mount(button, before=0)
            else:
                await self._conversation.mount(button)
        which = "earlier" if button_id == "show-earlier" else "later"
        button.label = (
            f"{arrow} {hidden} {which} messages ({how}, or enter for {min(hidden, EARLIER_PAGE)} more)"
        )
        if not hidden and button.has_focus:
            # Otherwise focus moves on by itself and scrolls there, perhaps to the other end (paging again).
            from tm_tui.widgets.chat_message import MessageView

            messages = list(self._conversation.query(MessageView))
            if messages:
                messages[nearest].focus(scroll_visible=False)
        button.display = hidden > 0

    @on(Button.Pressed, "#show-earlier")
    async def _earlier_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.load_earlier()

    @on(Button.Pressed, "#show-later")
    async def _later_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.load_later()

    def _refresh_totals(self) -> None:
        from tm_tui.chat.metrics import TurnMetrics
        from tm_tui.store.history import MessageStatus

        bar = self.query_one(ConversationBar)
        if self.chat is None or not self.chat.messages:
            bar.update(Text(f"{MODE_LABELS[self.chat.mode] if self.chat else ''} · new conversation", "dim"))
            return
        answers = [
            TurnMetrics.from_dict(m.metrics)
            for m in self.chat.messages
            if m.role == "assistant" and m.status is not MessageStatus.STREAMING
        ]
        bar.show(answers, self.chat.cost())


def _widget_for(message: StoredMessage) -> MessageView:
    from tm_tui.chat.metrics import TurnMetrics
    from tm_tui.widgets.chat_message import AssistantMessage, UserMessage

    if message.role == "user":
        return UserMessage(message.id, message.content)
    return AssistantMessage(
        message.id,
        model=message.model,
        content=message.content,
        reasoning=message.reasoning,
        status=message.status,
        metrics=TurnMetrics.from_dict(message.metrics) if message.metrics else None,
        error=message.error,
    )


def _has_account_section() -> bool:
    return any(s.id == "account" for s in SECTIONS)


def _is_auth_error(error: BaseException | None) -> bool:
    from tm_tui.api.errors import AuthError

    return isinstance(error, AuthError)


def _is_tm_error(error: BaseException) -> bool:
    from tm_tui.api.errors import TmError

    return isinstance(error, TmError)
