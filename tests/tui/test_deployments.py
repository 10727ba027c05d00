"""Deployments section (F10): the list with dates, details and the event timeline, the metrics chart,
logs (first look, follow picking up new lines, pause, search, de-duplication, bounded memory), the
GPU check and name validation, using a running deployment for Chat, and errors shown in place."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from tm_tui.api.models.control_plane import LogEntry
from tm_tui.emulator.state import DEMO_DEPLOYMENT_KEY
from tm_tui.screens.deployments import DeploymentList, DeploymentsScreen
from tm_tui.widgets.error_panel import ErrorPanel
from tm_tui.widgets.log_follow import LogBuffer, LogView
from tm_tui.widgets.metric_chart import MetricChart

from .helpers import FROZEN_NOW, SIZE, frozen_emulator, open_section, plain, settle, snapshot_of, wait_until

DEPLOYMENTS = "deployments"


@pytest.fixture
def emulator():
    with frozen_emulator() as running:
        yield running


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch):
    monkeypatch.setattr(DeploymentsScreen, "now", staticmethod(lambda: FROZEN_NOW))


def deployment_list(app) -> DeploymentList:
    return app.screen.query_one(DeploymentList)


def text_of(app, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static))


def log_lines(app) -> list[str]:
    views = app.screen.query(LogView)  # none until the tab panes are composed
    return list(views.first().lines) if views else []


async def highlight(pilot, name: str) -> None:
    table = deployment_list(pilot.app)
    row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == name)
    table.move_cursor(row=row)
    await settle(pilot)


async def test_list_and_details_with_events(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        table = deployment_list(app)
        assert table.row_count == 5
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[:4] == ["ada-llama-8b", "up", "1× H100", "nebius"]
        assert first[5:] == ["2024-07-09", "2024-07-09"]  # created, updated
        assert "5 deployments, 2 usable" in text_of(app, "#deployments-status")
        detail = text_of(app, "#deployment-detail")
        assert "meta-llama/Llama-3.1-8B-Instruct" in detail and "u uses it for Chat" in detail
        assert "created  Deployment requested" in detail and "ready  Deployment ready" in detail
        await highlight(pilot, "ada-llama-70b")
        detail = text_of(app, "#deployment-detail")
        assert "failed  CUDA out of memory" in detail and "not usable: status is failed" in detail
        assert not app.screen.check_action("use", ())


async def test_metrics_chart(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        assert "textual_plotext" not in {type(w).__module__ for w in app.screen.query("*")}
        await pilot.press("2")
        await settle(pilot)
        chart = app.screen.query_one(MetricChart)
        assert chart.plot is not None and chart.display
        assert len(chart.plot.plt._active.monitor.x[0]) == 61  # a point a minute over the hour (sic)
        assert "[requests_per_second]" in text_of(app, "#metrics-status")
        await pilot.press("n")
        await settle(pilot)
        assert "[gpu_utilization]" in text_of(app, "#metrics-status")
        await highlight(pilot, "ada-mistral-nemo")  # pending: series without points
        assert "No data points" in text_of(app, "#metrics-status")


async def test_logs_follow_pause_search_dedup(emulator_env, make_app, emulator):
    emulator.state.live_logs_every_s = 0.05
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        screen = app.screen
        screen.follow_every_s = 0.05
        await pilot.press("3")
        await settle(pilot)
        first = log_lines(app)
        assert len(first) == 200 and "POST /v1/chat/completions" in first[-1]
        assert "paused" in text_of(app, "#logs-status")

        await pilot.press("f")
        assert screen.following and "following" in text_of(app, "#logs-status")
        await wait_until(pilot, lambda: any("(live #3)" in line for line in log_lines(app)), "new log lines")
        await pilot.press("p")
        await settle(pilot)
        assert not screen.following and "paused" in text_of(app, "#logs-status")
        lines = log_lines(app)
        assert len(lines) == len(set(lines))  # overlapping polls never repeat a line
        assert screen.logs.duplicates >= 1  # each poll starts at the last timestamp, inclusive
        live = [line for line in lines if "(live #" in line]
        assert [int(line.rsplit("#", 1)[1].rstrip(")")) for line in live] == list(range(1, len(live) + 1))
        paused_at = len(lines)
        await settle(pilot)
        assert len(log_lines(app)) == paused_at  # paused: nothing more arrives

        await pilot.press("slash", *"live #2)")
        await settle(pilot)
        assert [line for line in log_lines(app)] == [next(line for line in lines if "(live #2)" in line)]
        assert "1 match" in text_of(app, "#logs-status")
        await pilot.press("enter")
        assert screen.query_one(LogView).has_focus


def test_log_buffer_is_bounded_and_dedups():
    buffer = LogBuffer(limit=3)
    entries = [LogEntry(timestamp=f"2026-03-01T12:00:0{i}Z", message=f"line {i}") for i in range(5)]
    assert [line.message for line in buffer.add(entries[:2])] == ["line 0", "line 1"]
    assert [line.message for line in buffer.add(entries[1:5])] == ["line 2", "line 3", "line 4"]
    assert [line.message for line in buffer.lines] == ["line 2", "line 3", "line 4"]
    assert buffer.duplicates == 1 and buffer.dropped == 2
    assert buffer.last_timestamp == "2026-03-01T12:00:04Z"
    assert buffer.add(entries[:1])[0].message == "line 0"  # let go, so no longer a duplicate
    hostile = buffer.add([LogEntry(timestamp="x", message="\x1b]52;c;cGF3bmVk\x07[b]x[/b]")])[0]
    assert "\x1b" not in hostile.text and "[b]x[/b]" in hostile.text


def test_log_cursor_is_the_newest_time_held_whatever_order_answers_land():
    """An older page landing after newer lines must not move the poll cursor back (the flaky
    follow test: every poll then fetched the same day-old lines and never reached the live ones)."""
    buffer = LogBuffer()
    buffer.add([LogEntry(timestamp="2026-03-01T12:00:05.5Z", message="new")])
    buffer.add([LogEntry(timestamp="2026-02-28T12:00:00Z", message="old"), LogEntry(message="no time")])
    assert buffer.last_timestamp == "2026-03-01T12:00:05.5Z"
    buffer.clear()
    assert buffer.last_timestamp is None


async def test_a_poll_before_the_first_look_takes_the_latest_lines(emulator_env, make_app):
    """A follow poll that runs while nothing is held yet (the first look still on its way) asks for
    the latest lines, like the first look, not the oldest ones."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        screen = app.screen
        await pilot.press("3")
        await settle(pilot)
        latest = log_lines(app)
        screen.logs.clear()
        screen.query_one(LogView).show_all([])
        screen.fetch_logs(app.session, screen.logs_key, first=False)
        await settle(pilot)
        assert log_lines(app) == latest and len(latest) == 200


async def test_gpu_check_and_validate(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        await pilot.press("g")
        path = app.screen.query_one("#check-path", Input)
        assert path.has_focus and path.value == "meta-llama/Llama-3.1-8B-Instruct"  # from the highlighted one
        app.screen.query_one("#check-name", Input).value = "ada-llama-8b"
        await pilot.press("enter")
        await settle(pilot)
        result = text_of(app, "#check-result")
        assert "GPU memory needed: 17.6 GiB" in result and "LMCache memory: 4.4 GiB" in result
        assert "invalid or already taken" in result
        app.screen.query_one("#check-name", Input).value = "fresh-name"
        await pilot.press("enter")
        await settle(pilot)
        assert "valid and free" in text_of(app, "#check-result")


async def test_use_a_running_deployment_for_chat(on_demand_profile, emulator, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        await pilot.press("u")
        await settle(pilot)
        assert "✓ On-demand model: ada-llama-8b" in text_of(app, "#use-message")
        assert app.context.surface == "on_demand" and app.context.model == "ada-llama-8b"
        settings = app.session.settings
        assert settings.gateway_provider.value == "nebius"
        assert settings.on_demand_base_url.value == emulator.on_demand_base_url  # the provider's host
        assert settings.inference_api_key.value.reveal() == DEMO_DEPLOYMENT_KEY


@pytest.mark.parametrize(
    ("fault", "title", "words"),
    [("status=401", "Not authorised", "ctrl+l"), ("status=403", "Permission denied", "r retries")],
)
async def test_list_errors_keep_the_list(emulator_env, make_app, emulator, fault, title, words):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        emulator.state.faults.add(f"{fault}@control_plane:/v1/models#times=5")
        await pilot.press("r")
        await settle(pilot)
        panel = app.screen.query_one("#deployments-error", ErrorPanel)
        assert panel.display and panel.info is not None and panel.info.title == title
        assert deployment_list(app).row_count == 5
        assert words in text_of(app, "#deployments-status")


async def test_log_and_check_errors_shown_in_place(emulator_env, make_app, emulator):
    emulator.state.faults.add("status=503@control_plane:/v1/observability/*#times=1")
    emulator.state.faults.add("reset@control_plane:/v1/models/check#times=1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.query_one("#logs-error", ErrorPanel).display
        await pilot.press("1", "3")  # coming back retries
        await settle(pilot)
        assert not app.screen.query_one("#logs-error", ErrorPanel).display and log_lines(app)
        await pilot.press("g", "enter")
        await settle(pilot)
        assert app.screen.query_one("#check-error", ErrorPanel).display


async def test_empty_state(emulator_env, make_app, emulator):
    emulator.control_plane.data.models.clear()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        assert "You have no deployments" in text_of(app, "#deployments-status")
        assert "No deployment highlighted" in text_of(app, "#deployment-detail")
        assert not app.screen.check_action("use", ())


async def test_not_logged_in_says_how(emulator, make_app):
    app = make_app(control_plane_url=emulator.control_plane_base_url)
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, DEPLOYMENTS)
        assert "ctrl+l logs in (Account) and comes back here" in text_of(app, "#deployments-status")
        assert deployment_list(app).row_count == 0


def test_snapshot_deployments(snap_compare, emulator_env, pinned_urls, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(DEPLOYMENTS))


def test_snapshot_deployment_metrics(snap_compare, emulator_env, pinned_urls, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(DEPLOYMENTS, "2"))


def test_snapshot_deployment_logs(snap_compare, emulator_env, pinned_urls, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=snapshot_of(DEPLOYMENTS, "3"))


async def test_palette_command_follows_the_logs(emulator_env, make_app, emulator):
    """ "Follow deployment logs" from another section: opens Deployments, waits for the list, follows."""
    emulator.state.live_logs_every_s = 0.05
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.run_action("open_section('deployments', 'follow_logs')")
        await wait_until(pilot, lambda: isinstance(app.screen, DeploymentsScreen), "Deployments")
        screen = app.screen
        screen.follow_every_s = 0.05
        await wait_until(pilot, lambda: any("(live #" in line for line in log_lines(app)), "followed lines")
        assert screen.following and screen.tab == "logs"
        await pilot.press("escape")  # out of any input, back to the list
        assert screen.query_one(DeploymentList).has_focus
        await pilot.press("p")
        await settle(pilot)
        assert not screen.following
