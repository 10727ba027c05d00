"""Models section: choose the model chat and the tokenizer use, per surface.

Serverless tab: models from inference `/v1/models` with serverless pricing merged in (prices need a
control-plane login), filter-as-you-type, sort, a details pane; enter selects. The last list is kept in
the cache and shown at once on the next start, then refreshed by a worker.

On-demand tab: the user's deployments from the control plane. Choosing a usable one does what
`tm init --sync` does (reference §7.4): the provider picks the host, the record's `apiKey` becomes the
inference key, the user id comes from the profile or `/auth/profile` — all stored in the profile.
A served gateway model name can also be typed by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, LoadingIndicator, Static, TabbedContent, TabPane

from tm_tui.screens.sections import SectionScreen
from tm_tui.session import SessionChange
from tm_tui.surface import Surface
from tm_tui.text_safety import sanitize
from tm_tui.widgets.deployment_table import (
    DeploymentTable,
    gpu_text,
    provider_of,
    short_enum,
    unusable_reason,
)
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.model_table import ModelRow, ModelTable, context_text, price_text

if TYPE_CHECKING:
    from tm_tui.api.models.control_plane import Deployment
    from tm_tui.session import Session

SERVERLESS, ON_DEMAND = Surface.SERVERLESS, Surface.ON_DEMAND
PRICING_HINT = "Prices show — until you log in to the control plane (Account, l)."


def model_details(row: ModelRow, selected: bool) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    active = {True: "active", False: "inactive", None: "unknown (not logged in)"}[row.active]
    for label, value in (
        ("Model", row.id),
        ("Name", row.display_name or "—"),
        ("Owner", row.owned_by or "—"),
        ("Context", context_detail(row)),
        ("Input", f"{price_text(row.input_price, row.currency)} / 1M tokens"),
        ("Output", f"{price_text(row.output_price, row.currency)} / 1M tokens"),
        ("Cached", f"{price_text(row.cached_price, row.currency)} / 1M tokens"),
        ("Pricing", active),
    ):
        table.add_row(label, Text(sanitize(value)))
    table.add_row("", Text("✓ selected" if selected else "enter selects", "bold" if selected else "italic"))
    return table


def context_detail(row: ModelRow) -> str:
    """The served context, and the trained maximum when the server reports it (llama-server)."""
    served = f"{context_text(row.context_length)} tokens" if row.context_length else "unknown"
    if row.trained_context and row.trained_context != row.context_length:
        return f"{served} (trained max {context_text(row.trained_context)})"
    return served


def deployment_details(deployment: Deployment) -> Text:
    reason = unusable_reason(deployment)
    text = Text.assemble(
        (sanitize(deployment.inference_name or "?"), "bold"),
        f"  {short_enum(deployment.status, 'MODEL_STATUS_')} · {gpu_text(deployment)}",
        f" · {provider_of(deployment) or '?'}",
    )
    if deployment.model_path:
        text.append(f" · {sanitize(deployment.model_path)}", "dim")
    if reason:
        text.append(f"\n✗ Not selectable: {reason}.", "italic")
    else:
        text.append("\nenter uses it: host from the provider, the deployment's key, your user id.", "italic")
    return text


class ModelsScreen(SectionScreen):
    SECTION_ID = "models"
    CSS_PATH = Path(__file__).with_name("models.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Select model", id="models.select", tooltip="Use the highlighted model"),
        Binding("slash", "filter", "Filter", id="models.filter", tooltip="Filter the serverless models"),
        Binding("r", "refresh", "Refresh", id="models.refresh", tooltip="Load the models again"),
        Binding("m", "manual", "Model by name", id="models.manual", tooltip="Type an on-demand model name"),
        # Tab keys stay out of the footer (80 columns), as in every section: the tabs show them.
        Binding("1", "tab('serverless')", "Serverless", show=False, id="models.tab.serverless"),
        Binding("2", "tab('on_demand')", "On-demand", show=False, id="models.tab.on_demand"),
    ]

    class ServerlessLoaded(Message):
        def __init__(
            self, rows: list[ModelRow] | None, *, error: BaseException | None = None, hint: str = ""
        ) -> None:
            super().__init__()
            self.rows, self.error, self.hint = rows, error, hint

    class DeploymentsLoaded(Message):
        def __init__(
            self, deployments: list[Deployment] | None, *, error: BaseException | None = None, hint: str = ""
        ) -> None:
            super().__init__()
            self.deployments, self.error, self.hint = deployments, error, hint

    class Chosen(Message):
        """A model choice was stored (`text`) or failed (`error`)."""

        def __init__(self, surface: str, text: str | None = None, error: BaseException | None = None) -> None:
            super().__init__()
            self.surface, self.text, self.error = surface, text, error

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="models-tabs", initial=f"tab-{SERVERLESS}"):
            with TabPane("Serverless (1)", id=f"tab-{SERVERLESS}"), Horizontal(id="serverless-body"):
                with Vertical(id="serverless-main"):
                    yield Input(placeholder="filter models as you type (/)", id="model-filter")
                    with Horizontal(classes="status-line"):
                        yield LoadingIndicator(id="serverless-loading")
                        yield Static("", id="serverless-hint", markup=False)
                    # Above the table, which takes the remaining height and would push it off screen.
                    yield ErrorPanel(id="serverless-error")
                    yield ModelTable(id="serverless-table")
                with Vertical(id="model-details-box", classes="box") as box:
                    box.border_title = "Details"
                    yield Static("", id="model-details", markup=False)
            with TabPane("On-demand (2)", id=f"tab-{ON_DEMAND}"), Vertical(id="on-demand-body"):
                with Horizontal(classes="status-line"):
                    yield LoadingIndicator(id="on-demand-loading")
                    yield Static("", id="on-demand-hint", markup=False)
                yield ErrorPanel(id="on-demand-error")
                yield DeploymentTable(id="deployments")
                yield Static("", id="deployment-details", markup=False)
                with Horizontal(id="manual-row"):
                    yield Label("Served model name", id="manual-label")
                    yield Input(placeholder="a gateway model name, then enter (m)", id="manual-model")
        yield Static("", id="choice-message", markup=False)
        yield ErrorPanel(id="choice-error")

    def on_mount(self) -> None:
        # The tab panes are composed by TabbedContent a little after this screen mounts.
        self.call_after_refresh(self._panes_ready)

    def _panes_ready(self) -> None:
        for panel in self.query(ErrorPanel):
            panel.display = False
        for indicator in self.query(LoadingIndicator):
            indicator.display = False
        self.show_cached(self.app.context.profile)
        super().on_mount()  # last: it may run session_changed at once

    # -- loading -----------------------------------------------------------------------------------
    def show_cached(self, profile: str) -> None:
        records = self.app.cache.profile(profile).models.get(SERVERLESS) or []
        rows = [row for row in map(ModelRow.from_record, records) if row is not None]
        table = self.query_one(ModelTable)
        table.set_rows(rows)
        if rows:
            self.query_one("#serverless-hint", Static).update(Text("Last known list; refreshing…", "italic"))
        self.show_model_details()

    def session_changed(self, session: Session) -> None:
        if not self.query_one(ModelTable).rows_all:
            self.show_cached(session.profile_name)
        self.action_refresh()

    def context_changed(self, context) -> None:
        self.show_model_details()

    def action_refresh(self) -> None:
        session = self.app.session
        if session is None:
            return
        for part in (SERVERLESS, ON_DEMAND):
            self.query_one(f"#{part.replace('_', '-')}-loading").display = True
        self.load_serverless(session)
        self.load_deployments(session)

    @work(exclusive=True, group="models-serverless")
    async def load_serverless(self, session: Session) -> None:
        from tm_tui.api.errors import ConfigError, TmError
        from tm_tui.widgets.model_table import merge_models

        client = session.inference(SERVERLESS)
        if client is None:
            error = ConfigError(session.inference_reason(SERVERLESS) or "Serverless is not configured.")
            self.post_message(self.ServerlessLoaded(None, error=error))
            return
        try:
            listing = await client.models()
        except TmError as error:
            self.post_message(self.ServerlessLoaded(None, error=error))
            return
        pricing, hint = None, PRICING_HINT
        if session.control_plane is not None:
            try:
                pricing = await session.control_plane.serverless_pricing()
                hint = ""
            except TmError as error:
                hint = f"Prices unavailable: {sanitize(error.message)}. {sanitize(error.hint)}".strip()
        self.post_message(self.ServerlessLoaded(merge_models(listing.data, pricing), hint=hint))

    @work(exclusive=True, group="models-on-demand")
    async def load_deployments(self, session: Session) -> None:
        from tm_tui.api.errors import TmError

        if session.control_plane is None:
            hint = "Log in to the control plane (Account, l) to list your deployments, or type a model name."
            self.post_message(self.DeploymentsLoaded(None, hint=hint))
            return
        try:
            deployments = await session.control_plane.deployments()
        except TmError as error:
            self.post_message(self.DeploymentsLoaded(None, error=error))
            return
        self.post_message(self.DeploymentsLoaded(deployments))

    def on_models_screen_serverless_loaded(self, message: ServerlessLoaded) -> None:
        self.query_one("#serverless-loading").display = False
        table = self.query_one(ModelTable)
        hint = self.query_one("#serverless-hint", Static)
        if self.query_one("#serverless-error", ErrorPanel).show(message.error):
            hint.update(Text("Showing the last known list." if table.rows_all else "", "italic"))
            return
        rows = message.rows or []
        table.set_rows(rows)
        self.show_sort_hint(message.hint)
        session = self.app.session
        if session is not None:
            self.app.cache.remember_models(session.profile_name, SERVERLESS, [r.to_record() for r in rows])
            self.app.save_cache()
        self.show_model_details()

    def show_sort_hint(self, hint: str | None = None) -> None:
        table = self.query_one(ModelTable)
        if hint is not None:
            self._pricing_hint = hint
        shown, total = len(table.visible_rows), len(table.rows_all)
        text = Text(f"{shown} of {total} models · sorted by {table.sort_label} (s, S)", "dim")
        if getattr(self, "_pricing_hint", ""):
            text.append("\n" + self._pricing_hint, "italic")
        self.query_one("#serverless-hint", Static).update(text)

    def on_models_screen_deployments_loaded(self, message: DeploymentsLoaded) -> None:
        self.query_one("#on-demand-loading").display = False
        table = self.query_one(DeploymentTable)
        table.display = message.deployments is not None
        hint = self.query_one("#on-demand-hint", Static)
        if self.query_one("#on-demand-error", ErrorPanel).show(message.error):
            hint.update("")
            return
        if message.deployments is None:
            hint.update(Text(message.hint, "italic"))
            self.query_one("#deployment-details", Static).update("")
            return
        table.set_deployments(message.deployments)
        usable = sum(1 for d in message.deployments if unusable_reason(d) is None)
        hint.update(
            Text(
                f"{len(message.deployments)} deployments, {usable} usable: only those that are up, with a "
                "served name and an API key, can be chosen.",
                "dim",
            )
        )
        self.show_deployment_details()

    # -- details follow the cursor -----------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if isinstance(event.data_table, ModelTable):
            self.show_model_details()
        elif isinstance(event.data_table, DeploymentTable):
            self.show_deployment_details()

    def show_model_details(self) -> None:
        row = self.query_one(ModelTable).current
        details = self.query_one("#model-details", Static)
        if row is None:
            details.update(Text("No model highlighted.", "italic"))
            return
        session = self.app.session
        selected = session is not None and session.model(SERVERLESS) == row.id
        details.update(model_details(row, selected))

    def show_deployment_details(self) -> None:
        deployment = self.query_one(DeploymentTable).current
        self.query_one("#deployment-details", Static).update(
            deployment_details(deployment) if deployment is not None else ""
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "model-filter":
            self.query_one(ModelTable).set_filter(event.value)
            self.show_sort_hint()
            self.show_model_details()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "model-filter":
            self.query_one(ModelTable).focus()
        elif event.input.id == "manual-model":
            self.choose_by_name(event.value)

    def on_model_table_sorted(self) -> None:
        self.show_sort_hint()

    # -- choosing ----------------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_select()

    def action_select(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == f"tab-{SERVERLESS}":
            row = self.query_one(ModelTable).current
            if row is not None:
                self.choose_serverless(row)
        else:
            deployment = self.query_one(DeploymentTable).current
            if deployment is not None:
                self.choose_deployment(deployment)

    def choose_serverless(self, row: ModelRow) -> None:
        self.store_choice(SERVERLESS, row.id, f"Serverless model: {sanitize(row.id)}.")

    @work(group="models-store")  # not exclusive: every choice is stored, in order
    async def store_choice(self, surface: Surface, model: str, text: str) -> None:
        """Make `model` the one of `surface`, and `surface` the active one; `text` says so."""
        from tm_tui.config import ConfigFileError, ProfileError

        if self.app.session is None:
            return
        try:
            await self.app.change_session(SessionChange(surface=surface, model=model))
        except (ProfileError, ConfigFileError) as error:
            self.post_message(self.Chosen(surface, error=error))
            return
        self.post_message(self.Chosen(surface, text))

    def choose_deployment(self, deployment: Deployment) -> None:
        reason = unusable_reason(deployment)
        session = self.app.session
        if reason:
            name = sanitize(deployment.inference_name or "this deployment")
            self.show_choice(f"✗ {name} cannot be used: {reason}.")
            return
        if session is not None:
            self.show_choice(f"Setting up {sanitize(deployment.inference_name or '')}…")
            self.apply_deployment(session, deployment)

    @work(exclusive=True, group="models-choose")
    async def apply_deployment(self, session: Session, deployment: Deployment) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.config import ConfigFileError, ProfileError
        from tm_tui.screens.deployment_choice import use_deployment

        try:
            text = await use_deployment(self.app, session, deployment)
        except (TmError, ProfileError, ConfigFileError) as error:
            self.post_message(self.Chosen(ON_DEMAND, error=error))
            return
        self.post_message(self.Chosen(ON_DEMAND, text))

    def choose_by_name(self, name: str) -> None:
        name = name.strip()
        if not name:
            self.show_choice("✗ Type the served model name of a deployment first.")
            return
        self.store_choice(ON_DEMAND, name, f"On-demand model (typed): {sanitize(name)}.")

    def on_models_screen_chosen(self, message: Chosen) -> None:
        if self.query_one("#choice-error", ErrorPanel).show(message.error):
            self.show_choice("✗ The choice was not saved.")
            return
        self.show_choice(f"✓ {message.text}")

    def show_choice(self, text: str) -> None:
        self.query_one("#choice-message", Static).update(Text(text, "bold"))
        if not text.startswith("✗"):
            self.query_one("#choice-error", ErrorPanel).display = False

    # -- navigation --------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.action_tab(SERVERLESS)
        self.query_one("#model-filter", Input).focus()

    def action_manual(self) -> None:
        self.action_tab(ON_DEMAND)
        self.query_one("#manual-model", Input).focus()

    def action_tab(self, surface: str) -> None:
        """Open the surface's tab with focus on its list. Focus must move with the tab: a focused
        widget left in the hidden pane hands focus to a sibling there, which switches the tab back."""
        self.query_one(TabbedContent).active = f"tab-{surface}"
        table = self.query_one(ModelTable if surface == SERVERLESS else DeploymentTable)
        fallback = "#model-filter" if surface == SERVERLESS else "#manual-model"
        (table if table.display else self.query_one(fallback, Input)).focus()

    def action_pick(self) -> None:
        """Focus the list of the active surface, where enter selects (the app-wide "Select model")."""
        session = self.app.session
        self.action_tab(session.surface if session is not None else SERVERLESS)
