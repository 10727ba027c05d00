"""Billing section (F8): overview, usage by model, transactions, pricing, payment — one tab each.

Every tab is a `BillingPanel` that loads by itself once there is a control-plane login, shows when it
was loaded and keeps its last data with the error beside it. Without a login the screen says so and
`l` starts one (Account); after the login the session is rebuilt and every panel reloads. A 401 the
token refresh cannot fix brings the login offer back; a 403 is shown on the panel that met it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TabPane

from tm_tui.screens.billing_overview import OverviewPanel
from tm_tui.screens.billing_panel import BillingPanel
from tm_tui.screens.billing_payment import PaymentPanel
from tm_tui.screens.billing_pricing import PricingPanel
from tm_tui.screens.billing_transactions import TransactionsPanel
from tm_tui.screens.billing_usage import UsagePanel, usage_records
from tm_tui.screens.sections import SectionScreen
from tm_tui.text_safety import sanitize

if TYPE_CHECKING:
    from tm_tui.session import Session

TABS = (
    ("overview", "Overview", OverviewPanel),
    ("usage", "Usage", UsagePanel),
    ("transactions", "Transactions", TransactionsPanel),
    ("pricing", "Pricing", PricingPanel),
    ("payment", "Payment", PaymentPanel),
)
NOT_LOGGED_IN = (
    "Billing needs a control-plane login. Press l to log in (a browser login, as `tm auth login`)."
)
EXPIRED = "The control plane refused the login (401). Press l to log in again; the data below is kept."


class BillingScreen(SectionScreen):
    SECTION_ID = "billing"
    CSS_PATH = Path(__file__).with_name("billing.tcss")
    TAB_TITLES: ClassVar[dict[str, str]] = {tab: title for tab, title, _ in TABS}
    # Actions that only make sense on some tabs (hidden from the footer elsewhere).
    TAB_ACTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "window": ("overview",),
        "sort": ("transactions",),
        "use_model": ("pricing",),
        "edit_address": ("payment",),
        "export": ("usage", "transactions"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Reload", id="billing.reload", tooltip="Load this tab again"),
        Binding("l", "login", "Log in", id="billing.login", tooltip="Log in to the control plane"),
        Binding("w", "window", "30/90 days", id="billing.window", tooltip="Chart 30 or 90 days"),
        Binding("s", "sort", "Sort", id="billing.sort", tooltip="Sort by date or amount, down or up"),
        Binding("u", "use_model", "Use in Chat", id="billing.use_model", tooltip="Chat with this model"),
        Binding("e", "edit_address", "Edit address", id="billing.edit_address"),
        Binding("x", "export", "Export", id="billing.export", tooltip="Save as CSV or JSON"),
        Binding("escape", "cancel_edit", "Cancel", show=False, id="billing.cancel"),
        *(
            Binding(str(n), f"tab('{tab}')", title, show=False, id=f"billing.tab.{tab}")
            for n, (tab, title, _) in enumerate(TABS, start=1)
        ),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static(Text(NOT_LOGGED_IN, "bold"), id="billing-gate", markup=False)
        with TabbedContent(id="billing-tabs"):
            for n, (tab, title, panel) in enumerate(TABS, start=1):
                with TabPane(f"{title} ({n})", id=f"tab-{tab}"):
                    yield panel(id=f"billing-{tab}")

    def on_mount(self) -> None:
        self._export_when_loaded = False
        self.query_one("#billing-gate").display = False
        super().on_mount()

    # -- loading -----------------------------------------------------------------------------------
    def session_changed(self, session: Session) -> None:
        """New clients: the shown tab loads now, the others when first shown (fewer requests at once,
        so the tab in front appears sooner)."""
        client = session.control_plane
        self.show_gate(NOT_LOGGED_IN if client is None else None)
        for panel in self.query(BillingPanel):
            panel.stale = True
        if client is not None:
            self.load_shown()

    def load_shown(self) -> None:
        session = self.app.session
        panel = self.panel
        if panel.stale and session is not None and session.control_plane is not None:
            panel.stale = False
            panel.reload(session.control_plane)

    def show_gate(self, text: str | None) -> None:
        gate = self.query_one("#billing-gate", Static)
        gate.display = text is not None
        if text is not None:
            gate.update(Text(text, "bold"))
        self.refresh_bindings()

    def on_billing_panel_auth_failed(self, message: BillingPanel.AuthFailed) -> None:
        message.stop()
        self.show_gate(EXPIRED)
        self.app.check_login()  # the context bar then shows the login as expired

    @property
    def panel(self) -> BillingPanel:
        tab = self.query_one(TabbedContent).active.removeprefix("tab-")
        return self.query_one(f"#billing-{tab}", BillingPanel)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.TAB_ACTIONS and self.is_mounted:
            return self.on_its_tab(action)
        if action == "login":
            session = self.app.session
            return session is None or session.control_plane is None or self.query_one("#billing-gate").display
        return True

    def on_tabbed_content_tab_activated(self) -> None:
        self.refresh_bindings()
        self.load_shown()
        # The tab's list takes the keys (arrows, enter) at once.
        focus = {
            "transactions": "#txn-table",
            "pricing": "#pricing-serverless",
            "payment": "#payment-methods",
        }
        target = focus.get(self.active_tab)
        if target is not None:
            self.query_one(target).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "pricing-serverless":
            event.stop()
            self.action_use_model()

    # -- actions -----------------------------------------------------------------------------------
    def action_reload(self) -> None:
        session = self.app.session
        if session is None or session.control_plane is None:
            self.show_gate(NOT_LOGGED_IN)
            return
        panel = self.panel
        if isinstance(panel, UsagePanel):
            query = panel.read_query()
            if query is None:
                return
            panel.query_params = query
        panel.reload(session.control_plane)

    def action_login(self) -> None:
        self.app.action_open_section("account", "login")

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self.load_shown()  # now, not only on TabActivated (a click), so the load starts with the key

    def action_window(self) -> None:
        self.query_one(OverviewPanel).toggle_window()

    def action_sort(self) -> None:
        self.query_one(TransactionsPanel).cycle_sort()

    def action_edit_address(self) -> None:
        self.query_one(PaymentPanel).edit()

    def action_cancel_edit(self) -> None:
        payment = self.query_one(PaymentPanel)
        if payment.editing:
            payment.cancel()

    def action_use_model(self) -> None:
        """Make the highlighted serverless model the Chat model (serverless surface)."""
        model = self.query_one(PricingPanel).highlighted_model
        if model is not None and self.app.session is not None:
            self.use_model(model)

    @work(exclusive=True, group="billing-use-model")
    async def use_model(self, model: str) -> None:
        from tm_tui.config import ConfigFileError, ProfileError
        from tm_tui.session import SessionChange
        from tm_tui.surface import Surface

        try:
            await self.app.change_session(SessionChange(surface=Surface.SERVERLESS, model=model))
        except (ProfileError, ConfigFileError) as error:
            self.notify(sanitize(str(error)), title="Model not saved", severity="error", markup=False)
            return
        self.notify(
            f"Chat model: {sanitize(model)} (serverless). F2 opens Chat.", title="Model", markup=False
        )

    def action_export(self) -> None:
        from tm_tui.config.paths import tui_data_dir
        from tm_tui.screens.billing_export import BillingExportScreen

        if self.active_tab == "usage":
            report = self.query_one(UsagePanel).report
            what, rows = "usage", usage_records(report) if report else []
        else:
            what, rows = "transactions", [r.record() for r in self.query_one(TransactionsPanel).shown]
        if not rows:
            self.notify("Nothing to export yet.", title="Export", severity="warning")
            return
        self.app.push_screen(BillingExportScreen(what, rows, tui_data_dir(self.app.env)))

    # -- form fields -------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        session = self.app.session
        field = event.input.id or ""
        if field.startswith("usage-"):
            self.action_reload()
        elif field.startswith("txn-"):
            self.query_one(TransactionsPanel).apply_filter()
        elif field.startswith("address-") and session is not None and session.control_plane is not None:
            self.query_one(PaymentPanel).save(session.control_plane)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "usage-bucket" and self.query_one(UsagePanel).has_data:
            self.action_reload()
        elif event.select.id in ("txn-type", "txn-status"):
            self.query_one(TransactionsPanel).apply_filter()

    def action_export_transactions(self) -> None:
        """The palette's "Export transactions": the Transactions tab, then its export (once loaded)."""
        self.action_tab("transactions")
        if self.query_one(TransactionsPanel).has_data:
            self.action_export()
        else:
            self._export_when_loaded = True

    def on_billing_panel_loaded(self, message: BillingPanel.Loaded) -> None:
        if isinstance(message.panel, TransactionsPanel) and self._export_when_loaded:
            self._export_when_loaded = False
            if message.error is None:
                self.action_export()
