"""Chat section: the streaming playground.

The screen composes and routes: the toolbar (`ChatToolbar`: mode, surface, model and the model list)
announces choices, which the screen turns into session changes (`TmApp.request_session_change`) or
conversation settings; the conversation (`ConversationView`) mounts the messages a window at a time
and pages them; the screen sends, streams, saves and runs the actions on messages.

State lives in a `ChatSession` (chat core), which saves to history as things happen: the user message
before the request, the answer while it streams (on the flush timer), the final text with metrics.
One answer streams at a time; its `Turn` is filled by a worker and shown by a timer, and the single
`TurnEnded` handler finishes it (see `chat_stream`).

This is the default section, so it is built before the first frame: compose makes only what shows
(toolbar stand-ins, an empty conversation, the prompt) and nothing heavy is imported at module
level — the message widgets (Markdown), the parameters panel (mounted on first ctrl+t), the history
store, the chat core and the API layer are imported inside the methods that run later.
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
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from tm_tui.screens.sections import SECTIONS, SectionScreen
from tm_tui.session import SessionChange
from tm_tui.surface import Surface
from tm_tui.widgets.chat_toolbar import MODE_LABELS, ChatToolbar
from tm_tui.widgets.conversation_view import ConversationView, widget_for
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
    # The footer fits 80 columns (tests/tui/test_footer_fits.py): retry, mode, export and code stay in
    # help (F1), the palette and the empty conversation's hint line.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="chat.stop", tooltip="Stop the answer (keeps the text so far)"),
        Binding("ctrl+r", "retry", "Retry", id="chat.retry", tooltip="Regenerate the last answer", show=False),
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
            show=False,
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
            show=False,
            tooltip="Save the conversation as Markdown or JSON",
        ),
        Binding(
            "ctrl+g", "view_code", "Code", id="chat.code", tooltip="The last request as curl / Python", show=False
        ),
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
        # message PageUp/PageDown/Home/End do the same (`MessageView`). `ConversationView` pages.
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
        self._params: ParamsPanel | None = None  # mounted on first use (ctrl+t)
        self._waiting_session: Session | None = None  # came before the toolbar's selects
        self._armed_regenerate: int | None = None  # an older answer whose `r` awaits a second press
        self._new_after_stop = False

    # -- layout -------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield ChatToolbar(id="chat-toolbar")
        with Horizontal(id="chat-main"):
            yield ConversationView(self._messages, empty_hint=EMPTY_HINT, id="conversation")
        yield ConversationBar(id="chat-totals")
        with Vertical(id="prompt-box"):
            yield Static("", id="edit-note", markup=False)
            # In the first frame, focused (AUTO_FOCUS): the footer's first keys are the prompt's
            # (bench/bench_startup.py waits for them). A stand-in swapped in later cost a second
            # footer rebuild and kept "Send" out of the footer for a few hundred ms.
            yield PromptInput(id="prompt", placeholder=PROMPT_PLACEHOLDER)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#edit-note").display = False

    def _messages(self) -> list[StoredMessage]:
        return self.chat.messages if self.chat else []

    def on_chat_toolbar_ready(self, event: ChatToolbar.Ready) -> None:
        event.stop()
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
                timeout=15,  # as long as the other file problems: it names a file to fix
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
        if not self._toolbar.ready:  # the session came first: `on_chat_toolbar_ready` calls back
            self._waiting_session = session
            return
        if self.store is None:
            self._open_store()
        if self._params is not None:
            self._params.use_presets(self._preset_store(), session.profile_name)
        self._toolbar.show_surface(session.surface)
        if self.chat is None:
            self._new_chat()
            self._refresh_totals()
        self._toolbar.load_models(session, session.surface)
        self.load_pricing(session)

    def context_changed(self, context: Any) -> None:
        if self.chat is not None and context.model and not self.chat.messages:
            self.chat.configure(model=context.model, surface=context.surface, profile=context.profile)
        self._follow_context(context)

    def _follow_context(self, context: Any) -> None:
        """The toolbar shows the session's surface and model, whoever chose them."""
        if self.app.session is not None:
            self._toolbar.follow(self.app.session, context.surface, context.model)

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

    def on_chat_toolbar_surface_chosen(self, event: ChatToolbar.SurfaceChosen) -> None:
        event.stop()
        session = self.app.session
        if session is None or event.surface == session.surface:
            return
        self.app.request_session_change(SessionChange(surface=event.surface))
        self._toolbar.load_models(session, event.surface)

    def on_chat_toolbar_model_chosen(self, event: ChatToolbar.ModelChosen) -> None:
        event.stop()
        session = self.app.session
        if session is None or event.model == session.model(event.surface):
            return
        self.app.request_session_change(SessionChange(surface=event.surface, model=event.model))

    def on_chat_toolbar_mode_chosen(self, event: ChatToolbar.ModeChosen) -> None:
        event.stop()
        if self.chat is None and self._params is None:
            return  # the select's first announcement: a new chat reads the select itself
        from tm_tui.chat.modes import Mode

        mode = Mode(event.mode)
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
            mode=Mode(self._toolbar.mode),
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
            if self._conversation.hidden_after or self.chat.saved_again != saved_again:
                # Reading far back, or the conversation was saved anew (new ids).
                await self.render_conversation()
            else:
                await self._conversation.append(widget_for(self.chat.messages[-1]))  # the rest is unchanged
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
        await self._conversation.append(AssistantMessage(reply.message_id, model=reply.model))
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
        widget = self._conversation.message_widget(turn.key)
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
        widget = self._conversation.message_widget(message.turn.key)
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
        if action == "open_account":  # in the footer only after a 401 (the error says ctrl+l too)
            return _is_auth_error(self.last_error)
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
        self._toolbar.cycle_mode()

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
        self._toolbar.show_mode(chat.mode.value)
        if self._params is not None:
            self._params.load(chat.params.to_raw(), chat.system_prompt)
            self._params.set_mode(chat.mode)
        session = self.app.session
        stored = chat.conversation.surface if chat.conversation else None  # as loaded by `resume`
        if session is not None and chat.model:
            surface = session.surface if stored is None or stored not in Surface else stored
            self.app.request_session_change(SessionChange(surface=surface, model=chat.model))
            self._toolbar.show_surface(surface)  # the request above covers the surface
            self._toolbar.load_models(session, surface)
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
    def _toolbar(self) -> ChatToolbar:
        return self.query_one(ChatToolbar)

    @property
    def _conversation(self) -> ConversationView:
        return self.query_one(ConversationView)

    async def render_conversation(self, *, at_start: bool = False) -> None:
        """Show the chat session's messages afresh (after opening, editing, deleting): the last ones,
        or with `at_start` the first ones (see `ConversationView.show`)."""
        await self._conversation.show(at_start=at_start)
        self._refresh_totals()

    # -- scrolling from the keyboard ------------------------------------------------------------------
    async def action_conversation_page(self, direction: str) -> None:
        await self._conversation.page(direction)

    async def action_conversation_top(self) -> None:
        await self._conversation.to_start(focus_message=self._focused_message() is not None)

    async def action_conversation_bottom(self) -> None:
        await self._conversation.to_end(focus_message=self._focused_message() is not None)

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


def _has_account_section() -> bool:
    return any(s.id == "account" for s in SECTIONS)


def _is_auth_error(error: BaseException | None) -> bool:
    from tm_tui.api.errors import AuthError

    return isinstance(error, AuthError)


def _is_tm_error(error: BaseException) -> bool:
    from tm_tui.api.errors import TmError

    return isinstance(error, TmError)
