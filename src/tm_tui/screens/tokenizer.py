"""Tokenizer section: how the selected model splits text, what a chat's template adds, what a KV cache
can reuse.

Tabs: Text (plain text or a file), Chat (messages through the model's chat template, with a per-message
table), Detokenize (ids → text, and the round trip text → ids → text), Compare (the Text tab's text on
two models) and Prefix (two texts, their longest common token prefix). Every call runs in an exclusive
worker per job and carries a request number: `on_job_done` drops any answer older than the newest
request, so in live mode (re-tokenize ~250 ms after typing stops) an old answer never replaces a new
one. Errors show in place under the input; the last good result stays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import (
    Checkbox,
    DataTable,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from tm_tui.api.errors import TmError
from tm_tui.screens.sections import SectionScreen
from tm_tui.text_safety import sanitize
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.token_panel import Shown, TokenPanel

if TYPE_CHECKING:
    from tm_tui.api.tokenizer import Tokenization, TokenizerClient
    from tm_tui.chat.cost import PricingTable
    from tm_tui.session import Session

HERE = Path(__file__).parent
LIVE_DELAY_S = 0.25
# Which job each tab runs with ctrl+t, and which inputs re-run which job in live mode.
TAB_JOBS = {
    "tab-text": "text",
    "tab-chat": "chat",
    "tab-detok": "detok",
    "tab-compare": "compare",
    "tab-prefix": "prefix",
}
TAB_TITLES = {"text": "Text", "chat": "Chat", "detok": "Detokenize", "compare": "Compare", "prefix": "Prefix"}
TAB_LABELS = {tab: f"{title} ({n})" for n, (tab, title) in enumerate(TAB_TITLES.items(), start=1)}
LIVE_INPUTS = {
    "tok-text": "text",
    "tok-chat": "chat",
    "tok-prefix-a": "prefix",
    "tok-prefix-b": "prefix",
    "tok-ids": "detok",
}
ERROR_PANELS = {
    "text": "text",
    "chat": "chat",
    "detok": "detok",
    "round": "detok",
    "compare": "compare",
    "prefix": "prefix",
}
EXAMPLE_CHAT = "system: You are concise.\nuser: How many tokens is this? 🦜"


class JobDone(Message):
    """A worker's answer to request `seq` of `job` (a value, or the error it raised)."""

    def __init__(self, job: str, seq: int, value: Any = None, error: BaseException | None = None) -> None:
        super().__init__()
        self.job, self.seq, self.value, self.error = job, seq, value, error


class PricingLoaded(Message):
    def __init__(self, pricing: PricingTable) -> None:
        super().__init__()
        self.pricing = pricing


@dataclass(frozen=True)
class Target:
    client: TokenizerClient
    model: str


class InputProblem(TmError):
    """Input the section cannot use (no text, ids that are not ids, a file that is not text)."""


class TooLong(TmError):
    """More tokens than the model's context window (shown beside the result, which stays)."""

    default_hint = "A request this long would be rejected; shorten it or choose a model with a larger window."


class TokenizerScreen(SectionScreen):
    SECTION_ID = "tokenizer"
    AUTO_FOCUS = "#tok-text"
    TAB_TITLES = TAB_TITLES
    CSS_PATH: ClassVar = [HERE / "tokenizer.tcss", HERE.parent / "widgets/token_panel.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "run", "Tokenize", id="tokenizer.run", tooltip="Tokenize the input of this tab"),
        # Out of the footer (80 columns): the Live and Whitespace boxes are on screen, their keys in
        # their tooltips, in help and in the palette.
        Binding(
            "ctrl+l",
            "toggle_live",
            "Live",
            show=False,
            id="tokenizer.live",
            tooltip="Re-tokenize while typing",
        ),
        Binding(
            "ctrl+g",
            "toggle_whitespace",
            "Whitespace",
            show=False,
            id="tokenizer.whitespace",
            tooltip="Show spaces, tabs, newlines",
        ),
        Binding(
            "ctrl+o",
            "open_file",
            "Open file",
            id="tokenizer.open_file",
            tooltip="Load a text file into the Text tab",
        ),
        Binding(
            "ctrl+r",
            "round_trip",
            "Round trip",
            id="tokenizer.round_trip",
            tooltip="Text → ids → text, differences highlighted",
        ),
        Binding(
            "ctrl+n",
            "next_tab",
            "Next tab",
            id="tokenizer.next_tab",
            tooltip="Text → Chat → Detokenize → Compare → Prefix",
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            show=False,
            id="tokenizer.field.leave",
            tooltip="To the tabs: 1-5 or ←/→ choose one",
        ),
        # 1-5 as in every section, once no field takes the keys (esc); alt+1-5 also while typing, in
        # terminals that send them (tmux does not).
        *(
            Binding(str(n), f"tab('tab-{tab}')", f"{title} tab", show=False, id=f"tokenizer.tab.{tab}")
            for n, (tab, title) in enumerate(TAB_TITLES.items(), start=1)
        ),
        *(
            Binding(
                f"alt+{n}",
                f"tab('tab-{tab}')",
                f"{title} tab",
                show=False,
                priority=True,
                id=f"tokenizer.tab.{tab}.alt",
            )
            for n, (tab, title) in enumerate(TAB_TITLES.items(), start=1)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        from tm_tui.api.tokenizer import TokenizerClients

        self.clients = TokenizerClients()
        self.pricing: PricingTable = {}
        self.contexts: dict[str, int] = {}  # model → context window, from the model list
        self.server_context: int | None = None  # llama.cpp's /props
        self._seq: dict[str, int] = {}
        self._live_timer: Timer | None = None
        self.live = False
        self.model_names: set[str] = set()
        self._models_surface: str | None = None  # whose models the pickers list

    # -- layout -----------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="tok-bar"):
            yield Label("Model", classes="tok-label")
            yield Select[str]([], id="tok-model", prompt="model", allow_blank=True)
            yield Checkbox("Live", id="tok-live", tooltip="Re-tokenize while typing (ctrl+l)")
            yield Checkbox("Whitespace", id="tok-ws", tooltip="Show spaces, tabs and newlines (ctrl+g)")
            yield Static("", id="tok-kind", markup=False)
        with TabbedContent(id="tok-tabs", initial="tab-text"):
            with TabPane(TAB_LABELS["text"], id="tab-text"):
                yield TextArea(id="tok-text", classes="tok-input", soft_wrap=True)
                yield ErrorPanel(id="tok-text-error")
                yield TokenPanel(id="tok-text-panel")
            with TabPane(TAB_LABELS["chat"], id="tab-chat"):
                yield TextArea(EXAMPLE_CHAT, id="tok-chat", classes="tok-input", soft_wrap=True)
                yield ErrorPanel(id="tok-chat-error")
                with Horizontal(classes="tok-row"):
                    yield TokenPanel(id="tok-chat-panel", stacked=True)
                    yield DataTable(id="tok-attrib", cursor_type="row", zebra_stripes=True)
            with TabPane(TAB_LABELS["detok"], id="tab-detok"):
                yield Input(placeholder="Token ids: 1, 2, 3 or [1, 2, 3]", id="tok-ids")
                yield ErrorPanel(id="tok-detok-error")
                yield Static("", id="tok-detok-out", markup=False)
                yield Static(
                    Text("Round trip (ctrl+r): the Text tab's text → ids → text", style="italic"),
                    id="tok-roundtrip",
                    markup=False,
                )
            with TabPane(TAB_LABELS["compare"], id="tab-compare"):
                with Horizontal(id="tok-compare-bar"):
                    yield Label("The Text tab's text on this model and", classes="tok-label")
                    yield Select[str]([], id="tok-model-b", prompt="second model", allow_blank=True)
                yield ErrorPanel(id="tok-compare-error")
                with Horizontal(classes="tok-row"):
                    yield TokenPanel(id="tok-cmp-a", stacked=True)
                    yield TokenPanel(id="tok-cmp-b", stacked=True)
            with TabPane(TAB_LABELS["prefix"], id="tab-prefix"):
                with Horizontal(id="tok-prefix-inputs"):
                    yield TextArea(id="tok-prefix-a", classes="tok-input", soft_wrap=True)
                    yield TextArea(id="tok-prefix-b", classes="tok-input", soft_wrap=True)
                yield Checkbox("Both are chats (role: text lines)", id="tok-prefix-chat")
                yield ErrorPanel(id="tok-prefix-error")
                yield Static(
                    Text(
                        "Two texts: their longest common token prefix is what a KV cache reuses.",
                        style="italic",
                    ),
                    id="tok-prefix-summary",
                    markup=False,
                )
                yield TokenPanel(id="tok-prefix-panel")

    def on_mount(self) -> None:
        for panel in self.query(ErrorPanel):
            panel.display = False
        self.query_one("#tok-attrib", DataTable).add_columns("Message", "Content", "Template", "Adds")
        super().on_mount()

    # -- session ----------------------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        self.load_models(session)
        self.load_pricing(session)

    @work(exclusive=True, group="tok-pricing")
    async def load_pricing(self, session: Session) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.chat.cost import pricing_table

        if session.control_plane is None:
            return  # no prices without the control plane: costs show n/a
        try:
            pricing = pricing_table(await session.control_plane.serverless_pricing())
        except TmError:
            pricing = {}
        self.post_message(PricingLoaded(pricing))

    @on(PricingLoaded)
    def _pricing_loaded(self, message: PricingLoaded) -> None:
        """Prices may arrive after a result is shown: its costs are redone then."""
        self.pricing = message.pricing
        for panel in self.query(TokenPanel):
            if panel.shown is not None:
                panel.reprice(self.pricing.get(panel.shown.model))

    @work(exclusive=True, group="tok-models")
    async def load_models(self, session: Session) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.api.tokenizer import card_context_length

        self._models_surface = session.surface
        client = session.inference()
        cards = []
        if client is not None:
            try:
                cards = (await client.models()).data
            except TmError:
                cards = []
        self.contexts = {c.id: n for c in cards if (n := card_context_length(c))}
        names = [c.id for c in cards]
        self.model_names = set(names)
        current = session.model(session.surface)
        if current and current not in names:
            names.insert(0, current)
        for select_id, value in (
            ("#tok-model", current),
            ("#tok-model-b", names[1] if len(names) > 1 else current),
        ):
            select = self.query_one(select_id, Select)
            select.set_options((sanitize(n), n) for n in names)
            if value:
                select.value = value

    def context_changed(self, context: Any) -> None:
        session = self.app.session
        if session is not None and context.surface != self._models_surface:
            self.load_models(session)  # another surface: its own models
            return
        if context.model:
            select = self.query_one("#tok-model", Select)
            if context.model in self.model_names:
                select.value = context.model

    def _target(self, select_id: str = "#tok-model") -> Target:
        from tm_tui.api.errors import ConfigError

        session = self.app.session
        if session is None:
            raise ConfigError("Still starting up.")
        client = session.inference()
        if client is None:
            raise ConfigError(session.inference_reason() or "The inference surface is not configured.")
        model = self.query_one(select_id, Select).value
        if not isinstance(model, str) and select_id == "#tok-model":  # the list is still loading
            model = session.model(session.surface)
        if not isinstance(model, str) or not model:
            raise ConfigError("Choose a model first.")
        return Target(self.clients.for_client(client), model)

    # -- running jobs -----------------------------------------------------------------------------
    def _start(self, job: str, work_: Callable[[], Awaitable[Any]]) -> None:
        seq = self._seq[job] = self._seq.get(job, 0) + 1

        async def run() -> None:
            try:
                value = await work_()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # shown in place by on_job_done
                self.post_message(JobDone(job, seq, error=error))
            else:
                self.post_message(JobDone(job, seq, value))

        self.run_worker(run(), group=f"tok-{job}", exclusive=True, exit_on_error=False)

    def action_run(self) -> None:
        active = self.query_one(TabbedContent).active
        self.run_job(TAB_JOBS.get(active, "text"))

    def run_job(self, job: str) -> None:
        try:
            self._start(job, getattr(self, f"_job_{job}")())
        except ValueError as error:  # ids or a chat that do not parse
            self._show_error(job, InputProblem(str(error)))
        except TmError as error:  # no client or model, nothing typed: in place, before any request
            self._show_error(job, error)

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", TextArea).text

    async def _tokenized(self, target: Target, *, text: str | None = None, messages: Any = None) -> Shown:
        from tm_tui.tokens.spans import layout

        result = await target.client.tokenize(target.model, text=text, messages=messages)
        laid = await asyncio.to_thread(layout, result.ids, result.pieces)
        context, source = await self._context_of(target, result)
        chars = len(text) if text is not None else len(laid.text)  # a chat: as its template rendered it
        return Shown(
            target.model, result.kind.value, laid, chars, context, source, self.pricing.get(target.model)
        )

    async def _context_of(self, target: Target, result: Tokenization) -> tuple[int | None, str]:
        if result.max_model_len:
            return result.max_model_len, "max_model_len"
        if target.model in self.contexts:
            return self.contexts[target.model], "model list"
        if self.server_context is None:
            self.server_context = await target.client.server_context_length()
        return self.server_context, "server /props"

    def _job_text(self) -> Callable[[], Awaitable[Shown]]:
        target, text = self._target(), self._text("tok-text")
        self._require(text, "Type or paste some text first (or ctrl+o to open a file).")
        return lambda: self._tokenized(target, text=text)

    def _job_chat(self) -> Callable[[], Awaitable[tuple[Shown, Any]]]:
        from tm_tui.tokens.analysis import parse_chat

        target, messages = self._target(), parse_chat(self._text("tok-chat"))
        self._require(messages, "Write a chat: one `role: text` line starts each message.")

        async def both() -> tuple[Shown, Any]:
            shown = await self._tokenized(target, messages=messages)
            return shown, await target.client.attribution(target.model, messages)

        return both

    def _job_detok(self) -> Callable[[], Awaitable[tuple[list[int], str]]]:
        from tm_tui.tokens.analysis import parse_ids

        target = self._target()
        ids = parse_ids(self.query_one("#tok-ids", Input).value)

        async def detok() -> tuple[list[int], str]:
            return ids, await target.client.detokenize(target.model, ids)

        return detok

    def _job_round(self) -> Callable[[], Awaitable[tuple[str, list[int], str]]]:
        target, text = self._target(), self._text("tok-text")
        self._require(text, "The round trip uses the Text tab's text: type some there first.")

        async def round_trip() -> tuple[str, list[int], str]:
            ids = (await target.client.tokenize(target.model, text=text, pieces=False)).ids
            return text, ids, await target.client.detokenize(target.model, ids)

        return round_trip

    def _job_compare(self) -> Callable[[], Awaitable[tuple[Shown, Shown]]]:
        a, b, text = self._target(), self._target("#tok-model-b"), self._text("tok-text")
        self._require(text, "Compare uses the Text tab's text: type some there first.")

        async def compare() -> tuple[Shown, Shown]:
            left, right = await asyncio.gather(self._tokenized(a, text=text), self._tokenized(b, text=text))
            return left, right

        return compare

    def _job_prefix(self) -> Callable[[], Awaitable[tuple[Shown, Shown]]]:
        from tm_tui.tokens.analysis import parse_chat

        target = self._target()
        texts = self._text("tok-prefix-a"), self._text("tok-prefix-b")
        self._require(all(texts), "Write both texts: the earlier request left, the next one right.")
        as_chats = self.query_one("#tok-prefix-chat", Checkbox).value

        async def both() -> tuple[Shown, Shown]:
            if as_chats:
                first, second = (self._tokenized(target, messages=parse_chat(t)) for t in texts)
            else:
                first, second = (self._tokenized(target, text=t) for t in texts)
            return await asyncio.gather(first, second)

        return both

    @staticmethod
    def _require(value: object, message: str) -> None:
        if not value:
            raise InputProblem(message)

    # -- answers: the one handler -------------------------------------------------------------------
    @on(JobDone)
    def on_job_done(self, message: JobDone) -> None:
        if message.seq != self._seq.get(message.job):
            return  # an answer to an older request: a newer one is on its way
        if message.error is not None:
            self._show_error(message.job, message.error)
            if not isinstance(message.error, TmError):
                self.app.report_error(message.error)  # a bug: logged with its traceback too
            return
        self._show_error(message.job, None)
        getattr(self, f"_show_{message.job}")(message.value)

    def _show_error(self, job: str, error: BaseException | None) -> None:
        self.query_one(f"#tok-{ERROR_PANELS[job]}-error", ErrorPanel).show(error)

    def _show_kind(self, shown: Shown) -> None:
        self.query_one("#tok-kind", Static).update(Text(f"server: {shown.kind}", style="italic"))

    def _show_text(self, shown: Shown) -> None:
        self._show_shown("#tok-text-panel", shown, "text")

    def _show_shown(self, panel_id: str, shown: Shown, job: str, prefix_upto: int = 0) -> None:
        self.query_one(panel_id, TokenPanel).show(shown, prefix_upto=prefix_upto)
        self._show_kind(shown)
        if shown.context and shown.tokens > shown.context:
            self._show_error(
                job, TooLong(f"{shown.tokens:,} tokens: longer than the context window of {shown.context:,}.")
            )

    def _show_chat(self, value: tuple[Shown, Any]) -> None:
        shown, attribution = value
        self._show_shown("#tok-chat-panel", shown, "chat")
        table = self.query_one("#tok-attrib", DataTable)
        table.clear()
        for n, share in enumerate(attribution.messages, start=1):
            table.add_row(
                f"{n}. {sanitize(share.role)}",
                f"{share.content_tokens:,}",
                f"{share.template_tokens:,}",
                f"{share.added_tokens:,}",
            )
        table.add_row(
            "answer prompt", "0", f"{attribution.generation_prompt:,}", f"{attribution.generation_prompt:,}"
        )
        content = attribution.total - attribution.template_tokens
        table.add_row(
            Text("total", style="bold"),
            f"{content:,}",
            f"{attribution.template_tokens:,}",
            f"{attribution.total:,}",
        )

    def _show_detok(self, value: tuple[list[int], str]) -> None:
        ids, text = value
        out = Text.assemble((f"{len(ids):,} ids → {len(text):,} characters\n", "dim"), sanitize(text))
        self.query_one("#tok-detok-out", Static).update(out)

    def _show_round(self, value: tuple[str, list[int], str]) -> None:
        from tm_tui.tokens.analysis import differences

        text, ids, back = value
        out = Text(
            f"Round trip: {len(text):,} characters → {len(ids):,} ids → {len(back):,} characters: ",
            style="dim",
        )
        if back == text:
            self.query_one("#tok-roundtrip", Static).update(out.append("identical ✓", "bold green"))
            return
        out.append("differs ✗\n", "bold red")
        for tag, expected, got in differences(text, back):
            if tag == "equal":
                out.append(sanitize(expected[:200] + ("…" if len(expected) > 200 else "")))
                continue
            if expected:
                out.append(sanitize(expected).replace("\n", "↵") or " ", "strike on dark_red")
            if got:
                out.append(sanitize(got).replace("\n", "↵"), "bold on dark_green")
        self.query_one("#tok-roundtrip", Static).update(out)

    def _show_compare(self, value: tuple[Shown, Shown]) -> None:
        left, right = value
        self._show_shown("#tok-cmp-a", left, "compare")
        self._show_shown("#tok-cmp-b", right, "compare")

    def _show_prefix(self, value: tuple[Shown, Shown]) -> None:
        from tm_tui.chat.cost import format_usd
        from tm_tui.tokens.analysis import common_prefix, prefix_saving

        first, second = value
        ids_a = [s.id for s in first.layout.spans]
        ids_b = [s.id for s in second.layout.spans]
        shared = common_prefix(ids_a, ids_b)
        self._show_shown("#tok-prefix-panel", second, "prefix", prefix_upto=shared)
        share = shared / len(ids_b) if ids_b else 0
        summary = Text.assemble(
            ("Reusable prefix ", "dim"), (f"{shared:,}", "bold green"), f" of {len(ids_b):,} tokens ({share:.0%})",
            ("   saving at the cached price ", "dim"), format_usd(prefix_saving(shared, second.price)),
            ("\nThe next request (right) is shown; its reusable prefix is green.", "dim italic"),
        )  # fmt: skip
        self.query_one("#tok-prefix-summary", Static).update(summary)

    # -- other actions ----------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        # On a first visit TabbedContent applies its initial tab after this: ask again once it has.
        self.call_after_refresh(setattr, self.query_one(TabbedContent), "active", tab)

    def action_leave_field(self) -> None:
        """To the tab strip, where 1-5 and ←/→ choose a tab (in a field they are typed)."""
        self.query_one("#tok-tabs ContentTabs").focus()

    def action_next_tab(self) -> None:
        tabs = list(TAB_JOBS)
        active = self.query_one(TabbedContent).active
        self.action_tab(tabs[(tabs.index(active) + 1) % len(tabs)] if active in tabs else tabs[0])

    def action_round_trip(self) -> None:
        self.action_tab("tab-detok")
        self.run_job("round")

    def action_toggle_live(self) -> None:
        box = self.query_one("#tok-live", Checkbox)
        box.value = not box.value

    def action_toggle_whitespace(self) -> None:
        box = self.query_one("#tok-ws", Checkbox)
        box.value = not box.value

    @on(Checkbox.Changed, "#tok-live")
    def _live_changed(self, event: Checkbox.Changed) -> None:
        self.live = event.value
        if self.live:
            self.action_run()

    @on(Checkbox.Changed, "#tok-ws")
    def _whitespace_changed(self, event: Checkbox.Changed) -> None:
        from tm_tui.widgets.token_view import TokenView

        for view in self.query(TokenView):
            view.show_whitespace = event.value

    @on(TextArea.Changed)
    @on(Input.Changed, "#tok-ids")
    def _typed(self, event: TextArea.Changed | Input.Changed) -> None:
        job = LIVE_INPUTS.get(event.control.id or "")
        if not self.live or job is None:
            return
        if self._live_timer is not None:
            self._live_timer.stop()
        self._live_timer = self.set_timer(LIVE_DELAY_S, lambda: self.run_job(job))

    @on(Input.Submitted, "#tok-ids")
    def _ids_submitted(self) -> None:
        self.run_job("detok")

    def action_open_file(self) -> None:
        from tm_tui.screens.tokenizer_file import OpenFileScreen

        def chosen(path: str | None) -> None:
            if path:
                self.load_file(path)

        self.app.push_screen(OpenFileScreen(), chosen)

    @work(thread=True, exclusive=True, group="tok-file")
    def load_file(self, path: str) -> None:
        from tm_tui.screens.tokenizer_file import read_text

        try:
            text = read_text(path)
        except ValueError as error:
            self.app.call_from_thread(self._show_error, "text", InputProblem(str(error)))
            return
        self.app.call_from_thread(self._file_loaded, text)

    def _file_loaded(self, text: str) -> None:
        self._show_error("text", None)
        self.action_tab("tab-text")
        self.query_one("#tok-text", TextArea).load_text(text)
        self.run_job("text")

    def action_from_chat(self) -> None:
        """Fill the Chat tab (and the Prefix tab) from the Chat section's last request and draft."""
        from tm_tui.tokens.analysis import chat_messages, format_chat

        last, draft = self._chat_requests()
        found = [asked for body in (last, draft) if body and (asked := chat_messages(body))]
        if not found:
            self.notify("Nothing to tokenize yet: send or type a message in Chat first.", severity="warning")
            return
        first = found[0]
        if isinstance(first, str):
            self.query_one("#tok-text", TextArea).load_text(first)
            self.action_tab("tab-text")
            self.run_job("text")
        else:
            self.query_one("#tok-chat", TextArea).load_text(format_chat(first))
            self.action_tab("tab-chat")
            self.run_job("chat")
        if len(found) == 2:  # the previous and the next request: what the cache can reuse
            texts = [format_chat(f) if isinstance(f, list) else f for f in found]
            self.query_one("#tok-prefix-a", TextArea).load_text(texts[0])
            self.query_one("#tok-prefix-b", TextArea).load_text(texts[1])
            self.query_one("#tok-prefix-chat", Checkbox).value = all(isinstance(f, list) for f in found)

    def _chat_requests(self) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
        from tm_tui.screens.chat import ChatScreen

        for mode in (self.app.DEFAULT_MODE, "chat"):
            try:
                stack = self.app.get_screen_stack(mode)
            except KeyError:
                continue
            for screen in stack:
                if isinstance(screen, ChatScreen):
                    return screen.requests_for_tokenizer()
        return None, None
