"""The Usage tab's cached tokens and cache savings equal what the real `tm cost` command computes for
the same window, against the same emulator (the CLI runs in a subprocess, logged in by its own
browser-login flow)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from textual.widgets import Input, Select

from tm_tui.screens.billing_usage import UsagePanel

from ..emulator.test_contract_cli import logged_in, tm  # noqa: F401  (a fixture)
from .helpers import SIZE, open_section, settle


async def test_usage_savings_match_tm_cost(emulator_env, make_app, logged_in):  # noqa: F811
    last = datetime.now(UTC).date() - timedelta(days=3)
    first = last - timedelta(days=40)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "billing")
        await pilot.press("2")
        panel = app.screen.query_one(UsagePanel)
        panel.query_one("#usage-from", Input).value = first.isoformat()
        panel.query_one("#usage-to", Input).value = last.isoformat()
        panel.query_one("#usage-bucket", Select).value = "week"  # any bucket: the same totals
        await settle(pilot)
        report = panel.report
        assert report is not None and panel.query_params.first == first
        query = panel.query_params

    start, end = (moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (query.start, query.end))
    cli = json.loads(tm(emulator_env, "--output", "json", "cost", "--start", start, "--end", end).stdout)
    expected = {m["model"]: m for m in cli["per_model"] if int(m["cached_tokens"])}
    ours = {m.model: m for m in report.models if m.cached_tokens}
    assert len(ours) >= 4 and set(ours) == set(expected)
    for model, row in ours.items():
        assert row.cached_tokens == int(expected[model]["cached_tokens"]), model
        assert row.saving == Decimal(expected[model]["cache_saving"]), model
    assert report.total_saving == sum(Decimal(m["cache_saving"]) for m in cli["per_model"])
