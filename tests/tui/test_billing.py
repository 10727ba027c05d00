"""Billing section (F8) against the emulator: overview figures equal the API's, usage buckets and date
range, paging to the last transaction, filters, sort, detail, CSV/JSON export, the address form
(validation, server refusal), use-in-Chat from pricing, and every failure (no login, 401, 403, a cut
connection) keeping the last data on screen."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from textual.widgets import DataTable, Input, Select, Static

from tm_tui.api.models.money import format_money
from tm_tui.billing.usage import saved_share
from tm_tui.emulator.control_plane.billing import spending_totals
from tm_tui.emulator.seed import PER_MILLION
from tm_tui.screens import billing_panel, billing_usage
from tm_tui.screens.billing import BillingScreen
from tm_tui.screens.billing_export import BillingExportScreen
from tm_tui.screens.billing_payment import PaymentPanel
from tm_tui.screens.billing_transactions import TransactionsPanel
from tm_tui.screens.billing_usage import UsagePanel
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.paged_table import PagedTable

from .helpers import (
    FROZEN_NOW,
    SIZE,
    frozen_emulator,
    notifications,
    open_section,
    plain,
    settle,
    snapshot_of,
    wait_until,
)

BILLING = "billing"


@pytest.fixture
def emulator():
    with frozen_emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def pinned_time(monkeypatch):
    """Local time is UTC and "now" is the emulator's seeded now, so snapshots are stable."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(billing_panel, "local_now", lambda: FROZEN_NOW)
    monkeypatch.setattr(billing_usage, "today", lambda: FROZEN_NOW.date())
    yield
    monkeypatch.undo()
    time.tzset()


def text(screen, selector: str) -> str:
    return plain(screen.query_one(selector, Static))


def money(amount: Decimal) -> str:
    return format_money(amount, "USD")


async def open_tab(pilot, tab: str) -> BillingScreen:
    await open_section(pilot, BILLING)
    screen = pilot.app.screen
    assert isinstance(screen, BillingScreen)
    await pilot.press(tab)
    await settle(pilot)
    return screen


async def load_all_transactions(pilot, panel: TransactionsPanel) -> None:
    """Scroll to the end (End on the table) until the server has no more pages."""
    table = panel.query_one(PagedTable)
    table.focus()
    for _ in range(100):
        await pilot.press("end")
        await settle(pilot)
        if panel.next_token is None:
            await pilot.press("end")  # onto the last row of the last page
            return
    raise AssertionError("paging never ended")


async def test_overview_figures_equal_the_api(emulator_env, make_app):
    data = emulator_env.control_plane.data
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "1")
        figures = text(screen, "#overview-figures")
        assert money(data.balances[emulator_env.on_demand_user_id]) in figures
        for key, value in spending_totals(data).items():
            assert money(Decimal(value["units"]) + Decimal(value["nanos"]) / 10**9) in figures, key
        days = data.spending_days[-30:]
        spent, saved = sum(d[1] for d in days), sum(d[2] for d in days)
        assert f"{money(saved)}  {saved_share(spent, saved)}% of {money(spent + saved)}" in figures
        assert "loaded 12:00:00 UTC" in text(screen, "#billing-overview .panel-loaded")

        await pilot.press("w")  # 90 days
        days = data.spending_days[-90:]
        assert "(90 days)" in text(screen, "#overview-figures")
        assert money(sum(d[2] for d in days)) in text(screen, "#overview-figures")


async def test_usage_by_model_buckets_and_date_range(emulator_env, make_app):
    usage = emulator_env.control_plane.data.usage
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "2")
        panel = screen.query_one(UsagePanel)
        first, last = FROZEN_NOW.date() - timedelta(days=29), FROZEN_NOW.date()
        assert panel.report is not None and len(panel.report.buckets) == 30  # one per day

        panel.query_one("#usage-from", Input).value = "2026-01-01"
        panel.query_one("#usage-to", Input).value = "2026-01-31"
        panel.query_one("#usage-bucket", Select).value = "week"
        await settle(pilot)
        report = panel.report
        first, last = FROZEN_NOW.date().replace(month=1, day=1), FROZEN_NOW.date().replace(month=1, day=31)
        # Weeks start on Mondays: 2025-12-29 holds Jan 1-4, then four more.
        assert report.buckets == ["2025-12-29", "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
        for row in report.models:
            days = [u for (day, model), u in usage.items() if model == row.model and first <= day <= last]
            assert row.requests == sum(u.requests for u in days)
            assert row.cached_tokens == sum(u.cached_tokens for u in days)
        table = panel.query_one(DataTable)
        assert table.row_count == len(report.models) >= 4
        assert "2026-01-01 – 2026-01-31 by week" in text(screen, "#usage-note")

        panel.query_one("#usage-to", Input).value = "2026-13-01"
        panel.query_one("#usage-to", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "is not a date" in text(screen, "#usage-note")
        assert panel.report is report  # the last good table stays


async def test_transactions_page_as_you_scroll_to_the_last_one(emulator_env, make_app):
    ledger = emulator_env.control_plane.data.transactions
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "3")
        panel = screen.query_one(TransactionsPanel)
        assert len(panel.loaded) == 100 < len(ledger)  # one page at start, not everything
        await load_all_transactions(pilot, panel)
        assert [r.id for r in panel.loaded] == [t["transactionId"] for t in ledger]
        table = panel.query_one(PagedTable)
        assert table.cursor == len(ledger) - 1
        assert f"{len(ledger):,} shown of {len(ledger):,} loaded (all loaded)" in text(screen, "#txn-note")
        assert ledger[-1]["transactionId"] in text(screen, "#txn-detail")


async def test_transactions_filter_sort_and_detail(emulator_env, make_app):
    ledger = emulator_env.control_plane.data.transactions
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "3")
        panel = screen.query_one(TransactionsPanel)
        # The newest is the month-to-date serverless charge: its detail lists the models.
        detail = text(screen, "#txn-detail")
        assert "pending" in detail and "Models" in detail
        for model in ledger[0]["details"]["models"]:
            assert model in detail

        panel.query_one("#txn-type", Select).value = "topup"
        panel.query_one("#txn-status", Select).value = "failed"
        await settle(pilot)
        # Few rows match, so the table keeps asking for pages until the server has none left.
        await wait_until(pilot, lambda: panel.next_token is None, "every page")
        await settle(pilot)
        failed = [t for t in ledger if t["type"].endswith("TOPUP") and t["status"].endswith("FAILED")]
        assert failed and [r.id for r in panel.shown] == [t["transactionId"] for t in failed]

        panel.query_one("#txn-type", Select).clear()
        panel.query_one("#txn-status", Select).clear()
        panel.query_one("#txn-from", Input).value = "2026-02-01"
        panel.query_one("#txn-to", Input).value = "2026-02-28"
        panel.query_one("#txn-to", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        february = [t for t in ledger if t["createdAt"].startswith("2026-02")]
        assert [r.id for r in panel.shown] == [t["transactionId"] for t in february]

        panel.query_one(PagedTable).focus()
        await pilot.press("s", "s")  # date ↓, date ↑, amount ↓
        assert "by amount ↓" in text(screen, "#txn-note")
        signed = [r.signed for r in panel.shown]
        assert signed == sorted(signed, reverse=True) and signed[0] > 0 > signed[-1]


async def test_export_transactions_csv_and_usage_json(emulator_env, make_app, tmp_path, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "3")
        panel = screen.query_one(TransactionsPanel)
        await pilot.press("x")
        assert isinstance(app.screen, BillingExportScreen)
        target = tmp_path / "txns.csv"
        path_input = app.screen.query_one("#billing-export-path", Input)
        assert path_input.value.startswith(
            str(isolated_dirs["TM_TUI_DATA_DIR"] / "exports" / "transactions-")
        )
        path_input.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        rows = list(csv.DictReader(target.open()))
        assert len(rows) == len(panel.shown) == 100
        first = panel.shown[0]
        assert rows[0] == first.record() and rows[0]["amount"] == str(first.amount)
        assert any(str(target) in message for _, message, _ in notifications(app))

        target.write_text("keep me")  # an existing file is not replaced silently
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == "keep me"
        assert "exists" in plain(app.screen.query_one("#billing-export-note", Static))
        await pilot.press("enter")  # the same path again: replace
        await settle(pilot)
        assert target.read_text().startswith("id,created_at,type,status,amount,currency,description")
        await pilot.press("escape")

        await pilot.press("2")
        await settle(pilot)
        await pilot.press("x")
        app.screen.query_one("#billing-export-format", Select).value = "json"
        await settle(pilot)
        target = tmp_path / "usage.json"
        app.screen.query_one("#billing-export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        report = screen.query_one(UsagePanel).report
        exported = json.loads(target.read_text())
        assert [r["model"] for r in exported] == [m.model for m in report.models]
        assert exported[0]["cache_saving"] == str(report.models[0].saving)


async def test_address_edit_validates_then_shows_a_server_refusal_and_keeps_the_form(emulator_env, make_app):
    data = emulator_env.control_plane.data
    before = dict(data.address)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "5")
        panel = screen.query_one(PaymentPanel)
        assert "4242" in str(panel.query_one("#payment-methods", DataTable).get_row_at(0))
        await pilot.press("e")
        assert panel.editing
        panel.query_one("#address-name", Input).value = ""
        panel.query_one("#address-country", Input).value = "France"
        await pilot.press("enter")
        await settle(pilot)
        assert "Name is required." in text(screen, "#address-name-problem")
        assert "two-letter ISO code" in text(screen, "#address-country-problem")
        assert data.address == before  # nothing was sent

        emulator_env.state.faults.add("status=400,method=PUT@control_plane:/v1/billing/address#times=1")
        panel.query_one("#address-name", Input).value = "Ada King"
        panel.query_one("#address-country", Input).value = "gb"
        panel.query_one("#address-city", Input).value = "London"
        await pilot.press("enter")
        await settle(pilot)
        error = panel.query_one("#address-error", ErrorPanel)
        assert error.display and error.info is not None
        assert panel.editing and panel.query_one("#address-city", Input).value == "London"  # nothing lost
        assert data.address == before

        await pilot.press("enter")  # the server agrees this time
        await settle(pilot)
        assert not panel.editing
        assert data.address["name"] == "Ada King" and data.address["country"] == "GB"
        assert "London" in text(screen, "#address-view")


async def test_use_a_priced_model_in_chat(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(pilot, "4")
        await pilot.press("down", "down")  # third row (active models first, by name)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.model("serverless") == "deepseek-ai/DeepSeek-R1-0528"
        assert app.context.model == "deepseek-ai/DeepSeek-R1-0528"


async def test_without_a_login_it_says_so_and_loads_after_the_login(emulator, make_app):
    app = make_app(
        control_plane_url=emulator.control_plane_base_url,
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
    )
    emulator.state.auto_approve_login_after_s = 0
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, BILLING)
        screen = app.screen
        gate = screen.query_one("#billing-gate", Static)
        assert gate.display and "needs a control-plane login" in plain(gate)
        assert screen.query_one("#billing-overview").loaded_at is None

        await pilot.press("l")  # Account opens and the browser login starts (approved at once here)
        await settle(pilot)
        assert app.current_section == "account"
        await open_section(pilot, BILLING)
        assert not gate.display
        assert screen.query_one("#billing-overview").has_data


async def test_a_401_offers_the_login_and_a_403_is_shown_on_its_panel(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "1")
        figures = text(screen, "#overview-figures")
        emulator_env.state.faults.add("status=403@control_plane:/v1/billing/balance#times=1")
        await pilot.press("r")
        await settle(pilot)
        error = screen.query_one("#billing-overview .panel-error", ErrorPanel)
        assert error.display and error.info.title == "Permission denied"
        assert text(screen, "#overview-figures") == figures  # the last data stays
        assert not screen.query_one("#billing-gate").display

        emulator_env.state.faults.add("status=401@control_plane:/v1/billing/*")
        await pilot.press("r")
        await settle(pilot)
        assert "refused the login (401)" in text(screen, "#billing-gate")
        assert text(screen, "#overview-figures") == figures


async def test_a_cut_connection_keeps_the_last_data_with_the_error_beside_it(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tab(pilot, "3")
        panel = screen.query_one(TransactionsPanel)
        shown = list(panel.shown)
        emulator_env.state.faults.add("reset@control_plane:/v1/billing/transactions#times=4")
        await pilot.press("r")
        await settle(pilot)
        assert panel.query_one(".panel-error", ErrorPanel).display
        assert "last data loaded 12:00:00 UTC" in text(screen, "#billing-transactions .panel-loaded")
        assert panel.shown == shown


async def test_bindings_have_ids_and_the_palette_opens_billing(emulator_env, make_app):
    from tm_tui.screens.sections import SectionCommands

    assert all(b.id and b.id.startswith("billing.") for b in BillingScreen.BINDINGS)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        names = [name for name, _, _ in SectionCommands(app.screen)._commands()]
        assert "Open Billing" in names and "Export transactions" in names
        await app.run_action("open_section('billing', 'export_transactions')")
        await settle(pilot)
        assert isinstance(app.screen, BillingExportScreen)


def test_seed_has_every_kind_of_transaction(emulator):
    kinds = Counter((t["type"], t["status"]) for t in emulator.control_plane.data.transactions)
    for kind in ("TOPUP", "CHARGE", "REFUND", "CREDIT"):
        assert any(k.endswith(kind) for k, _ in kinds)
    for status in ("FAILED", "REFUNDED", "PENDING", "SUCCEEDED"):
        assert any(s.endswith(status) for _, s in kinds)
    models = {model for _, model in emulator.control_plane.data.usage}
    cached = [u for u in emulator.control_plane.data.usage.values() if u.cached_tokens]
    assert len(models) >= 4 and cached
    assert emulator.control_plane.data.spending_days[-1][2] * PER_MILLION > 0


@pytest.mark.parametrize("tab", ["1", "2", "3", "4", "5"])
def test_snapshot_billing(emulator_env, make_app, snap_compare, tab):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(BILLING, tab))


def test_snapshot_billing_not_logged_in(emulator, make_app, snap_compare):
    app = make_app(
        control_plane_url=emulator.control_plane_base_url, serverless_url=emulator.serverless_base_url
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=snapshot_of(BILLING))


def test_the_chart_library_is_imported_only_when_a_chart_is_drawn():
    import subprocess
    import sys

    code = (
        "import sys, tm_tui.app, tm_tui.screens.billing; "
        "sys.exit(any('plotext' in name for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
