"""Deployments section: your on-demand deployments (status, GPU, provider, endpoint, dates) and, for
the highlighted one, its details and event timeline, a metrics chart, its logs (follow mode: polled
like `tm logs -f`, de-duplicated, pausable, searchable, bounded), and the GPU memory check / name
validation for a model. `u` uses a running deployment for Chat (the same step as Models' on-demand
tab, which only lists deployments to pick one).

Workers post one message each; the handlers own the widgets. A failed load keeps what was shown.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane

from tm_tui.screens.control_plane_section import LOGIN_HINT, ControlPlaneSection, needs_login
from tm_tui.state import ContextChanged
from tm_tui.text_safety import sanitize
from tm_tui.widgets.deployment_table import (
    DeploymentTable,
    gpu_text,
    provider_of,
    short_enum,
    unusable_reason,
)
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.log_follow import FOLLOW_EVERY_S, POLL_LIMIT, LogBuffer, LogView, matches
from tm_tui.widgets.metric_chart import MetricChart
from tm_tui.widgets.stamps import stamp

if TYPE_CHECKING:
    from tm_tui.api.control_plane import ControlPlaneClient
    from tm_tui.api.models.control_plane import Deployment, LogEntry, Metric, ModelCheck
    from tm_tui.session import Session

TABS = ("details", "metrics", "logs", "check")
METRICS_WINDOW = timedelta(hours=1)
METRICS_STEP_S = 60.0


class DeploymentList(DeploymentTable):
    COLUMNS = ("Name", "Status", "GPU", "Provider", "Endpoint", "Created", "Updated")

    def cells(self, deployment: Deployment, reason: str | None) -> list[str]:
        # Dates only, so the row fits 120 columns; the details show the time.
        dates = [stamp(deployment.created_at)[:10], stamp(deployment.updated_at)[:10]]
        return [*super().cells(deployment, reason)[:5], *dates]


def deployment_detail(deployment: Deployment) -> Table:
    """Every field worth reading, then the event timeline, oldest first."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    infra = deployment.infra
    region = infra and (infra.nebius_region or infra.lambda_region or infra.onprem_region)
    reason = unusable_reason(deployment)
    for label, value in (
        ("Name", deployment.inference_name),
        ("Model", deployment.model_path),
        ("Status", short_enum(deployment.status, "MODEL_STATUS_")),
        ("GPU", f"{gpu_text(deployment)} · {deployment.replicas or 0} replica(s)"),
        ("Provider", f"{provider_of(deployment) or '?'}{f' · {region}' if region else ''}"),
        ("Endpoint", deployment.endpoint),
        ("Ids", f"model {deployment.model_id or '?'} · deployment {deployment.deployment_id or '?'}"),
        ("Created", stamp(deployment.created_at)),
        ("Updated", stamp(deployment.updated_at)),
        ("Chat", f"not usable: {reason}" if reason else "u uses it for Chat"),
    ):
        table.add_row(label, Text(sanitize(value) if value else "—"))
    table.add_row("", "")
    table.add_row(Text("Events", "bold"), "" if deployment.events else Text("none", "italic"))
    for event in deployment.events:
        kind = short_enum(event.event_type, "MODEL_EVENT_TYPE_").replace("_", " ")
        table.add_row(stamp(event.created_at), Text.assemble((kind, "bold"), "  ", sanitize(event.log or "")))
    return table


def check_text(path: str, check: ModelCheck | None, name: str, valid: bool | None) -> Text:
    text = Text()
    if check is not None:
        gpu = check.required_gpu_memory_gib
        cache = check.required_lm_cache_memory_gib
        text.append(f"{sanitize(path)}\n", "bold")
        text.append(f"  GPU memory needed: {'?' if gpu is None else f'{gpu:g} GiB'}\n")
        text.append(f"  LMCache memory: {'?' if cache is None else f'{cache:g} GiB'}\n")
    if valid is not None:
        verdict = ("✓ valid and free", "green") if valid else ("✗ invalid or already taken", "red")
        text.append(f"Name {sanitize(name)}: ").append(*verdict)
    return text


class DeploymentsScreen(ControlPlaneSection):
    SECTION_ID = "deployments"
    CSS_PATH = Path(__file__).with_name("deployments.tcss")
    TAB_TITLES: ClassVar[dict[str, str]] = {
        "details": "Details",
        "metrics": "Metrics",
        "logs": "Logs",
        "check": "GPU check",
    }
    TAB_ACTIONS: ClassVar[dict[str, tuple[str, ...]]] = {"next_metric": ("metrics",)}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "u", "use", "Use in Chat", id="deployments.use", tooltip="Use the highlighted deployment in Chat"
        ),
        Binding("f", "follow_logs", "Follow logs", id="deployments.logs.follow", tooltip="Poll the logs"),
        Binding(
            "p", "pause_logs", "Pause logs", id="deployments.logs.pause", tooltip="Stop polling the logs"
        ),
        Binding("slash", "search_logs", "Search logs", id="deployments.logs.search"),
        # Out of the footer (80 columns), said in place: "n: next metric" under the chart, the tab
        # "GPU check (4)", and "ctrl+l logs in" in the "not logged in" and 401 messages.
        Binding("n", "next_metric", "Next metric", show=False, id="deployments.metric.next"),
        Binding(
            "g",
            "gpu_check",
            "GPU check",
            show=False,
            id="deployments.check",
            tooltip="GPU memory a model needs",
        ),
        Binding("r", "refresh", "Refresh", id="deployments.refresh", tooltip="Load the deployments again"),
        Binding(
            "ctrl+l",
            "login",
            "Log in",
            show=False,
            id="deployments.login",
            tooltip="Log in, then come back here",
        ),
        Binding("escape", "to_list", "Back to the list", show=False, id="deployments.list"),
        *(
            Binding(str(index), f"tab('{tab}')", tab.title(), show=False, id=f"deployments.tab.{tab}")
            for index, tab in enumerate(TABS, 1)
        ),
    ]

    class ListLoaded(Message):
        def __init__(self, deployments: list[Deployment] | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.deployments, self.error = deployments, error

    class MetricsLoaded(Message):
        def __init__(
            self, key: str, metrics: list[Metric] | None, error: BaseException | None = None
        ) -> None:
            super().__init__()
            self.key, self.metrics, self.error = key, metrics, error

    class LogsFetched(Message):
        def __init__(
            self, key: str, entries: list[LogEntry] | None, error: BaseException | None = None, *, first: bool
        ) -> None:
            super().__init__()
            self.key, self.entries, self.error, self.first = key, entries, error, first

    class Checked(Message):
        def __init__(
            self,
            path: str,
            check: ModelCheck | None,
            name: str,
            valid: bool | None,
            error: BaseException | None = None,
        ) -> None:
            super().__init__()
            self.path, self.check, self.name, self.valid, self.error = path, check, name, valid, error

    class Used(Message):
        def __init__(self, text: str | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    @staticmethod
    def now() -> datetime:
        """The end of the metrics window (tests pin it)."""
        return datetime.now(UTC)

    def __init__(self) -> None:
        super().__init__()
        self.follow_every_s = FOLLOW_EVERY_S
        self.logs = LogBuffer()
        self.logs_key: str | None = None  # the deployment whose logs the buffer holds
        self.following = False
        self._follow_when_listed = False  # "Follow deployment logs" asked before the list came
        self.metrics: list[Metric] = []
        self.metrics_key: str | None = None
        self.metric_index = 0

    # -- layout ------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical(id="deployments-body"):
            yield Static("", id="deployments-status", markup=False)
            yield ErrorPanel(id="deployments-error")
            yield DeploymentList(id="deployment-list")
            with TabbedContent(id="deployment-tabs", initial="tab-details"):
                with TabPane("Details (1)", id="tab-details"), VerticalScroll(id="detail-scroll"):
                    yield Static("", id="deployment-detail", markup=False)
                with TabPane("Metrics (2)", id="tab-metrics"), Vertical():
                    yield Static("", id="metrics-status", markup=False)
                    yield ErrorPanel(id="metrics-error")
                    yield MetricChart(id="metrics-chart")
                with TabPane("Logs (3)", id="tab-logs"), Vertical():
                    with Horizontal(id="logs-bar"):
                        yield Input(placeholder="search the logs (/), enter to leave", id="log-search")
                        yield Static("", id="logs-status", markup=False)
                    yield ErrorPanel(id="logs-error")
                    yield LogView(id="log-view")
                with TabPane("GPU check (4)", id="tab-check"), Vertical():
                    with Horizontal(classes="check-row"):
                        yield Label("Model path", classes="check-label")
                        yield Input(placeholder="e.g. meta-llama/Llama-3.1-8B-Instruct", id="check-path")
                    with Horizontal(classes="check-row"):
                        yield Label("Served name", classes="check-label")
                        yield Input(
                            placeholder="optional: a name to validate, e.g. my-llama", id="check-name"
                        )
                    yield Static("enter runs the check.", id="check-result", markup=False)
                    yield ErrorPanel(id="check-error")
            yield Static("", id="use-message", markup=False)
            yield ErrorPanel(id="use-error")

    def on_mount(self) -> None:
        self.call_after_refresh(self._panes_ready)

    def _panes_ready(self) -> None:
        for panel in self.query(ErrorPanel):
            panel.display = False
        super().on_mount()  # last: it may run session_changed at once

    # -- the list ----------------------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        session = self.app.session
        if session is None:
            return
        if session.control_plane is None:
            self.stop_following()
            self.query_one("#deployments-error", ErrorPanel).display = False
            self.query_one("#deployments-status", Static).update(Text(self.not_logged_in_text(), "italic"))
            self.query_one(DeploymentList).set_deployments([])
            self.show_current()
            return
        self.query_one(DeploymentList).loading = True
        self.load_list(session.control_plane)

    @work(exclusive=True, group="deployments-list")
    async def load_list(self, client: ControlPlaneClient) -> None:
        from tm_tui.api.errors import TmError

        try:
            deployments = await client.deployments()
        except TmError as error:
            self.post_message(self.ListLoaded(None, error))
            if needs_login(error):
                self.post_message(ContextChanged())
            return
        self.post_message(self.ListLoaded(deployments))

    def on_deployments_screen_list_loaded(self, message: ListLoaded) -> None:
        table = self.query_one(DeploymentList)
        table.loading = False
        status = self.query_one("#deployments-status", Static)
        if self.query_one("#deployments-error", ErrorPanel).show(message.error):
            kept = "The last loaded list is still shown. " if table.row_count else ""
            what = LOGIN_HINT if needs_login(message.error) else "r retries."
            status.update(Text(kept + what, "italic"))
            return
        deployments = message.deployments or []
        before = self.current
        table.set_deployments(deployments)
        if before is not None and before.model_id in table.deployments:
            table.move_cursor(row=table.get_row_index(before.model_id))
        if not deployments:
            status.update(
                Text("You have no deployments. Deploy one with the `tm` CLI or the web console.", "italic")
            )
        else:
            up = sum(1 for d in deployments if unusable_reason(d) is None)
            status.update(
                Text(f"{len(deployments)} deployments, {up} usable in Chat (u) · 1-4 switch tabs", "dim")
            )
        self.show_current()
        if self._follow_when_listed:
            self._follow_when_listed = False
            self.action_follow_logs()

    @property
    def current(self) -> Deployment | None:
        return self.query_one(DeploymentList).current

    def key_of(self, deployment: Deployment) -> str:
        return deployment.deployment_id or deployment.model_id or ""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_current()

    def show_current(self) -> None:
        deployment = self.current
        detail = self.query_one("#deployment-detail", Static)
        detail.update(
            deployment_detail(deployment) if deployment else Text("No deployment highlighted.", "italic")
        )
        if deployment is not None and not self.query_one("#check-path", Input).value:
            self.query_one("#check-path", Input).value = deployment.model_path or ""
        self.load_tab()
        self.refresh_bindings()

    # -- tabs load what they show, for the highlighted deployment -----------------------------------
    def action_to_list(self) -> None:
        self.query_one(DeploymentList).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.load_tab()
        self.refresh_bindings()

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    def load_tab(self) -> None:
        deployment, session = self.current, self.app.session
        if deployment is None or session is None or session.control_plane is None:
            return
        key = self.key_of(deployment)
        if self.tab == "metrics" and key != self.metrics_key:
            self.metrics_key = key
            self.query_one("#metrics-status", Static).update(Text("Loading metrics…", "italic"))
            end = self.now()
            self.load_metrics(session.control_plane, key, end - METRICS_WINDOW, end)
        elif self.tab == "logs" and key != self.logs_key:
            self.start_logs(session, key)

    def start_logs(self, session: Session, key: str) -> None:
        """Show the latest lines of deployment `key` instead of what the log view held."""
        self.stop_following()
        self.logs_key = key
        self.logs.clear()
        self.query_one(LogView).show_all([])
        self.query_one("#logs-status", Static).update(Text("Loading logs…", "italic"))
        self.fetch_logs(session, key, first=True)

    # -- metrics -------------------------------------------------------------------------------------
    @work(exclusive=True, group="deployments-metrics")
    async def load_metrics(
        self, client: ControlPlaneClient, key: str, start: datetime, end: datetime
    ) -> None:
        from tm_tui.api.errors import TmError

        try:
            metrics = await client.deployment_metrics(key, start, end, METRICS_STEP_S)
        except TmError as error:
            self.post_message(self.MetricsLoaded(key, None, error))
            return
        self.post_message(self.MetricsLoaded(key, metrics))

    async def on_deployments_screen_metrics_loaded(self, message: MetricsLoaded) -> None:
        if message.key != self.metrics_key:
            return  # the cursor moved on
        if self.query_one("#metrics-error", ErrorPanel).show(message.error):
            self.metrics_key = None  # so that coming back retries
            self.query_one("#metrics-status", Static).update(
                Text("Metrics unavailable; r retries.", "italic")
            )
            return
        self.metrics = message.metrics or []
        self.metric_index = 0
        await self.show_metric()

    async def action_next_metric(self) -> None:
        if self.metrics:
            self.metric_index = (self.metric_index + 1) % len(self.metrics)
            await self.show_metric()

    async def show_metric(self) -> None:
        self.refresh_bindings()  # "next metric" depends on what loaded
        status = self.query_one("#metrics-status", Static)
        chart = self.query_one(MetricChart)
        if not self.metrics:
            chart.display = False
            status.update(Text("This deployment reports no metrics.", "italic"))
            return
        metric = self.metrics[self.metric_index]
        chart.display = True
        has_points = await chart.show_metric(metric)
        names = " · ".join(
            f"[{sanitize(m.name or '?')}]" if i == self.metric_index else sanitize(m.name or "?")
            for i, m in enumerate(self.metrics)
        )
        line = f"last hour, per minute · n: next metric · {names}"
        if not has_points:
            line = f"No data points for {sanitize(metric.name or 'this metric')} in the last hour (is it up?). {line}"
        status.update(Text(line, "dim"))

    # -- logs ----------------------------------------------------------------------------------------
    @work(group="deployments-logs")
    async def fetch_logs(self, session: Session, key: str, *, first: bool) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        assert client is not None
        try:
            if first:  # the latest lines, newest first from the server, shown oldest first
                entries = list(
                    reversed(await client.deployment_logs(key, limit=POLL_LIMIT, direction="desc"))
                )
            else:
                since = self.logs.last_timestamp
                entries = await client.deployment_logs(
                    key, start_time=since, limit=POLL_LIMIT, direction="asc"
                )
        except TmError as error:
            self.post_message(self.LogsFetched(key, None, error, first=first))
            return
        self.post_message(self.LogsFetched(key, entries, first=first))

    @work(exclusive=True, group="deployments-follow")
    async def follow(self, session: Session, key: str) -> None:
        while True:
            await asyncio.sleep(self.follow_every_s)
            await self.fetch_logs(session, key, first=False).wait()

    def on_deployments_screen_logs_fetched(self, message: LogsFetched) -> None:
        if message.key != self.logs_key:
            return
        failed = self.query_one("#logs-error", ErrorPanel).show(message.error)
        if failed:
            if message.first:
                self.logs_key = None  # coming back retries
            if needs_login(message.error):
                self.stop_following()
        else:
            new = self.logs.add(message.entries or [])
            self.query_one(LogView).append(new)
        self.show_logs_status()

    def show_logs_status(self) -> None:
        state = (
            f"● following, every {self.follow_every_s:g} s (p pauses)"
            if self.following
            else "⏸ paused (f follows)"
        )
        held = f"{len(self.logs.lines)} lines"
        if self.logs.dropped:
            held += f" (oldest {self.logs.dropped} let go)"
        query = self.query_one(LogView).query_text
        if query:
            matching = sum(1 for line in self.logs.lines if matches(line, query))
            held += f" · {matching} match “{sanitize(query)}”"
        if not self.logs.lines:
            held = "no log lines yet"
        self.query_one("#logs-status", Static).update(Text(f"{state} · {held}", "dim"))

    def action_follow_logs(self) -> None:
        if self.current is None:
            self._follow_when_listed = True
            return
        session, deployment = self.app.session, self.current
        if session is None or session.control_plane is None:
            return
        self.action_tab("logs")
        # Not through `load_tab`: the tab switch may not have landed yet.
        key = self.key_of(deployment)
        if key != self.logs_key:
            self.start_logs(session, key)
        self.following = True
        self.follow(session, key)
        self.show_logs_status()
        self.refresh_bindings()

    def action_pause_logs(self) -> None:
        self.stop_following()
        self.show_logs_status()

    def stop_following(self) -> None:
        self.following = False
        self.workers.cancel_group(self, "deployments-follow")
        self.refresh_bindings()

    def action_search_logs(self) -> None:
        self.action_tab("logs")
        self.query_one("#log-search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "log-search":
            self.query_one(LogView).show_all(self.logs.lines, event.value.strip())
            self.show_logs_status()

    # -- GPU check -----------------------------------------------------------------------------------
    def action_gpu_check(self) -> None:
        self.action_tab("check")
        self.query_one("#check-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "log-search":
            self.query_one(LogView).focus()
            return
        path = self.query_one("#check-path", Input).value.strip()
        name = self.query_one("#check-name", Input).value.strip()
        session = self.app.session
        if not path and not name:
            self.query_one("#check-result", Static).update(
                Text("✗ Type a model path (or a name) first.", "bold")
            )
            return
        if session is None or session.control_plane is None:
            self.query_one("#check-result", Static).update(Text(self.not_logged_in_text(), "italic"))
            return
        self.query_one("#check-result", Static).update(Text("Checking…", "italic"))
        self.run_check(session, path, name)

    @work(exclusive=True, group="deployments-check")
    async def run_check(self, session: Session, path: str, name: str) -> None:
        from tm_tui.api.errors import TmError

        client = session.control_plane
        assert client is not None
        try:
            check = await client.check_model(path) if path else None
            valid = await client.validate_model(name) if name else None
        except TmError as error:
            self.post_message(self.Checked(path, None, name, None, error))
            return
        self.post_message(self.Checked(path, check, name, valid))

    def on_deployments_screen_checked(self, message: Checked) -> None:
        result = self.query_one("#check-result", Static)
        if self.query_one("#check-error", ErrorPanel).show(message.error):
            result.update("")
            return
        result.update(check_text(message.path, message.check, message.name, message.valid))

    # -- use for Chat --------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use":
            deployment = self.current
            return deployment is not None and unusable_reason(deployment) is None
        if action == "follow_logs":
            return not self.following
        if action == "pause_logs":
            return self.following
        if action == "next_metric":
            return self.tab == "metrics" and len(self.metrics) > 1
        return True

    def action_use(self) -> None:
        deployment, session = self.current, self.app.session
        if deployment is None or session is None:
            return
        reason = unusable_reason(deployment)
        if reason:
            self.query_one("#use-message", Static).update(Text(f"✗ Not usable in Chat: {reason}.", "bold"))
            return
        self.query_one("#use-message", Static).update(Text("Setting up…", "italic"))
        self.use_in_chat(session, deployment)

    @work(exclusive=True, group="deployments-use")
    async def use_in_chat(self, session: Session, deployment: Deployment) -> None:
        from tm_tui.api.errors import TmError
        from tm_tui.config import ConfigFileError, ProfileError
        from tm_tui.screens.deployment_choice import use_deployment

        try:
            text = await use_deployment(self.app, session, deployment)
        except (TmError, ProfileError, ConfigFileError) as error:
            self.post_message(self.Used(None, error))
            return
        self.post_message(self.Used(text))

    def on_deployments_screen_used(self, message: Used) -> None:
        if self.query_one("#use-error", ErrorPanel).show(message.error):
            self.query_one("#use-message", Static).update(Text("✗ Not changed.", "bold"))
            return
        self.query_one("#use-message", Static).update(Text(f"✓ {message.text} F2 chats with it.", "bold"))
        self.post_message(ContextChanged())
