"""The registry of sections and the base class every section screen extends.

A section is a full screen reachable by its F-key and by a palette command "Open <title>". To add
one: write `screens/<name>.py` with a `SectionScreen` subclass that implements `compose_body`, and
add one `Section` entry below. Screen modules are imported only when first opened, so a section
costs nothing at start-up. List only sections that work — no placeholders. The app opens on Chat
when it is registered, otherwise on the first entry.

F-keys: F1 is help; sections take F2, F3, … in the order listed here, which is also the help
screen's order (a test keeps them consecutive). A new section is appended and takes the next free key, so
no key ever moves.

A section's `commands` are its main actions as app-wide palette commands: from any screen they open
the section and run the action there (see `SectionScreen.run_when_ready`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent

from tm_tui.widgets.context_bar import ContextBar
from tm_tui.widgets.key_footer import KeyFooter
from tm_tui.widgets.section_strip import SectionStrip

if TYPE_CHECKING:
    from tm_tui.app import TmApp
    from tm_tui.session import Session
    from tm_tui.state import AppContext


@dataclass(frozen=True)
class SectionCommand:
    """A palette command available everywhere: opens its section, then runs `action` there."""

    title: str
    action: str  # an action of the section's screen, e.g. "login"
    help: str


@dataclass(frozen=True)
class Section:
    id: str  # mode name and binding id suffix
    title: str  # shown in help and the palette ("Open <title>")
    key: str  # fixed per section so keys do not move as sections are added
    target: str  # "module:Class", imported on first use
    summary: str  # one line for the palette and help
    commands: tuple[SectionCommand, ...] = ()

    def load(self) -> type[SectionScreen]:
        module, _, name = self.target.partition(":")
        return getattr(import_module(module), name)

    def make_screen(self) -> SectionScreen:
        return self.load()()

    def css_paths(self) -> list[str | PurePath]:
        """The screen's own stylesheet files (absolute paths, see `SectionScreen`)."""
        css = self.load().CSS_PATH
        return [] if css is None else list(css) if isinstance(css, list) else [css]


SECTIONS: tuple[Section, ...] = (
    Section(
        "chat",
        "Chat",
        "f2",
        "tm_tui.screens.chat:ChatScreen",
        "Streaming chat playground: parameters, metrics and cost, history, export, compare",
    ),
    Section(
        "models",
        "Models",
        "f3",
        "tm_tui.screens.models:ModelsScreen",
        "Choose the serverless model or an on-demand deployment, with prices",
        (SectionCommand("Select model", "pick", "Open Models on the list of the active surface"),),
    ),
    Section(
        "account",
        "Account",
        "f4",
        "tm_tui.screens.account:AccountScreen",
        "Profile and terms, credentials, browser login, API keys (create, revoke, use), activity",
        (
            SectionCommand("Log in", "login", "Log in to the control plane in a browser"),
            SectionCommand("Log out", "logout", "Forget the control-plane login"),
            SectionCommand("Refresh token", "refresh_token", "Refresh the control-plane login now"),
            SectionCommand("Set inference API key", "set_key", "Paste an inference API key"),
            SectionCommand("Create API key", "new_key", "Create an API key (shown once)"),
            SectionCommand("Edit profile", "edit_profile", "Edit your name on the control plane"),
            SectionCommand("Show account activity", "show_tab('activity')", "Your account's recent activity"),
        ),
    ),
    Section(
        "settings",
        "Settings",
        "f5",
        "tm_tui.screens.settings:SettingsScreen",
        "Profiles: create, edit, switch, delete; theme",
        (
            SectionCommand("Switch profile", "pick_profile", "Open Settings on the list of profiles"),
            SectionCommand("New profile", "new_profile", "Create a profile"),
        ),
    ),
    Section(
        "status",
        "Status",
        "f6",
        "tm_tui.screens.status:StatusScreen",
        "Health, version and latency of serverless, on-demand and the control plane",
    ),
    Section(
        "tokenizer",
        "Tokenizer",
        "f7",
        "tm_tui.screens.tokenizer:TokenizerScreen",
        "How the model splits text: tokens, bytes, chat template, cost, cache prefix",
        (
            SectionCommand(
                "Tokenize the last chat request",
                "from_chat",
                "Open Tokenizer on the Chat section's last request (and its next, for the prefix view)",
            ),
        ),
    ),
    Section(
        "billing",
        "Billing",
        "f8",
        "tm_tui.screens.billing:BillingScreen",
        "Balance, spend and cache savings, usage by model, transactions, pricing, payment",
        (
            SectionCommand(
                "Export transactions", "export_transactions", "Save billing transactions as CSV/JSON"
            ),
        ),
    ),
    Section(
        "support",
        "Support",
        "f9",
        "tm_tui.screens.support:SupportScreen",
        "Support tickets: read, open, reply, close; request a reserved deployment",
        (
            SectionCommand("New support ticket", "new_ticket", "Open a support ticket"),
            SectionCommand("Request reserved deployment", "reserved", "Ask sales for dedicated GPUs"),
        ),
    ),
    Section(
        "deployments",
        "Deployments",
        "f10",
        "tm_tui.screens.deployments:DeploymentsScreen",
        "On-demand deployments: status, events, metrics chart, logs (follow), GPU check, use in Chat",
        (SectionCommand("Follow deployment logs", "follow_logs", "Open Deployments and follow the logs"),),
    ),
)

PREFERRED_DEFAULT = "chat"
NARROW_BELOW = 100  # columns


def default_section(sections: Iterable[Section] = SECTIONS) -> Section:
    sections = tuple(sections)
    return next((s for s in sections if s.id == PREFERRED_DEFAULT), sections[0])


def section(section_id: str) -> Section:
    return next(s for s in SECTIONS if s.id == section_id)


class SectionScreen(Screen):
    """Context bar and section strip on top, footer below, the section's own widgets between.

    A section's `CSS_PATH` must be absolute (`Path(__file__).with_name("x.tcss")`): the app reads
    the first section's stylesheet together with its own, to parse CSS only once before the first
    frame, and Textual would resolve a relative path against the wrong module.

    Subclasses implement `compose_body()` and, to load data, `session_changed(session)`: it runs
    once the session exists (after the first frame) and again whenever its clients are rebuilt
    (profile switch, login, reload). `context_changed(context)` runs on every context change.
    """

    SECTION_ID: ClassVar[str]
    # A section in tabs: the tabs in order (pane id without "tab-" → title), and the actions that act
    # on some tabs only (the footer shows them there; `on_its_tab` says so). Help (F1) lists every key
    # of the screen grouped by these tabs, not only the keys of the tab in front.
    TAB_TITLES: ClassVar[dict[str, str]] = {}
    TAB_ACTIONS: ClassVar[dict[str, tuple[str, ...]]] = {}
    # "-narrow" below 100 columns (e.g. 80x24): stylesheets stack side-by-side panes there.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]

    app: TmApp  # narrows Screen.app for subclasses

    def __init__(self) -> None:
        super().__init__()
        self._seen_generation = 0
        self._ready = False  # composed and following the app's context (end of `on_mount`)
        self._pending: list[str] = []  # actions asked for before then

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield SectionStrip(SECTIONS, self.SECTION_ID)
        yield from self.compose_body()
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_resize(self, event: events.Resize) -> None:
        # A compact footer (less padding) keeps more of the screen's actions visible when narrow.
        self.query_one(Footer).compact = event.size.width < NARROW_BELOW

    def on_mount(self) -> None:
        self.watch(self.app, "context", self._on_app_context, init=True)
        self._ready = True
        self._run_pending()

    def _on_app_context(self, context: AppContext) -> None:
        self.context_changed(context)
        session = self.app.session
        if session is not None and context.generation != self._seen_generation:
            self._seen_generation = context.generation
            self.session_changed(session)
        self._run_pending()

    def run_when_ready(self, action: str) -> None:
        """Run one of this screen's actions (e.g. from a palette command given on another screen)
        once the screen is composed and the session exists; at once if both are true already."""
        self._pending.append(action)
        self._run_pending()

    def _run_pending(self) -> None:
        if not (self._ready and self.app.session is not None):
            return
        actions, self._pending = self._pending, []
        for action in actions:
            self.call_later(self.run_action, action)

    def context_changed(self, context: AppContext) -> None:
        """Override to follow profile / surface / model / login changes."""

    def session_changed(self, session: Session) -> None:
        """Override to (re)load the section's data from the session's clients."""

    @property
    def section(self) -> Section:
        return section(self.SECTION_ID)

    @property
    def active_tab(self) -> str:
        """The tab in front ("" for a section without tabs)."""
        tabs = self.query(TabbedContent)
        return tabs.first().active.removeprefix("tab-") if tabs else ""

    def on_its_tab(self, action: str) -> bool:
        """False for an action of other tabs than the one in front (`TAB_ACTIONS`)."""
        tabs = self.TAB_ACTIONS.get(action)
        return tabs is None or self.active_tab in tabs


class SectionCommands(Provider):
    """Palette commands available on every screen: "Open <Section>", and each section's main
    actions, which open their section and run there."""

    def _commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """(title, help, callback) of every command."""
        app = self.app
        for s in SECTIONS:
            yield f"Open {s.title}", s.summary, partial(app.run_action, f"open_section('{s.id}')")
            for command in s.commands:
                action = f"open_section('{s.id}', '{command.action}')"
                yield command.title, command.help, partial(app.run_action, action)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)


def global_commands(section_id: str) -> tuple[SectionCommand, ...]:
    """The app-wide commands of a section (empty for an unknown id)."""
    return next((s.commands for s in SECTIONS if s.id == section_id), ())
