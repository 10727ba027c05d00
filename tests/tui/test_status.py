"""Status section against the live emulator: healthy surfaces, and each kind of failure in place."""

from __future__ import annotations

import socket

from tm_tui.screens.status import StatusRow, StatusScreen
from tm_tui.state import LoginState
from tm_tui.widgets.error_panel import ErrorPanel

from .helpers import SIZE, open_section, settle


def rows(app) -> dict[str, StatusRow]:
    return {row.surface: row for row in app.screen.query(StatusRow)}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def summary(row: StatusRow) -> str:
    return str(row.query_one(".status-summary").render())


async def test_all_three_surfaces_are_healthy(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        assert isinstance(app.screen, StatusScreen)
        for surface, row in rows(app).items():
            assert row.status.ok, surface
            assert not row.loading and not row.query(ErrorPanel)
            assert "health ok" in summary(row) and "0 ms" in summary(row)  # the fixed clock
        assert rows(app)["serverless"].status.version
        assert "Logged in as Ada L." in summary(rows(app)["control_plane"])


async def test_an_injected_503_is_shown_in_place_and_refresh_recovers(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        fault = emulator_env.state.faults.add("status=503@serverless:/health")
        await pilot.press("r")
        await settle(pilot)
        row = rows(app)["serverless"]
        assert row.has_class("-error")
        panel = row.query_one(ErrorPanel)
        assert panel.info.title == "Server error"
        assert "HTTP 503" in panel.info.message and panel.info.hint
        assert rows(app)["on_demand"].status.ok and rows(app)["control_plane"].status.ok

        emulator_env.state.faults.remove(fault.id)
        await pilot.press("r")
        await settle(pilot)
        assert rows(app)["serverless"].status.ok and not rows(app)["serverless"].query(ErrorPanel)


async def test_health_decides_up_and_a_missing_version_is_not_a_failure(emulator_env, make_app):
    """llama-server has `/health` but no `/version` (404): the surface is up, the version "not provided"."""
    emulator_env.state.faults.add("status=404@serverless:/version")
    emulator_env.state.faults.add("status=500@on_demand:/version")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        serverless, on_demand = rows(app)["serverless"], rows(app)["on_demand"]
        assert serverless.status.ok and not serverless.query(ErrorPanel)
        assert "health ok" in summary(serverless) and "version: not provided" in summary(serverless)
        assert "failed" not in summary(serverless)
        assert on_demand.status.ok and "version: unavailable (" in summary(on_demand)


async def test_an_unreachable_host_is_readable(emulator_env, make_app):
    app = make_app(on_demand_url=closed_port_url())
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        info = rows(app)["on_demand"].query_one(ErrorPanel).info
        assert info.title == "Unreachable"
        assert "Could not reach 127.0.0.1" in info.message
        assert "base URL" in info.hint


async def test_a_tls_failure_is_readable(emulator_env, make_app):
    plain_http = emulator_env.serverless_base_url.removeprefix("http://")
    app = make_app(serverless_url=f"https://{plain_http}")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        info = rows(app)["serverless"].query_one(ErrorPanel).info
        assert info.title == "TLS failure"
        assert "--ca-bundle" in info.hint


async def test_a_rejected_token_marks_the_login_expired(emulator_env, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        emulator_env.state.faults.add("status=401@control_plane:/auth/profile")
        await pilot.press("r")
        await settle(pilot)
        info = rows(app)["control_plane"].query_one(ErrorPanel).info
        assert info.title == "Not authorised" and "HTTP 401" in info.message
        assert app.context.login == LoginState.EXPIRED  # no refresh token to try


async def test_without_credentials_what_can_answer_does(emulator, make_app):
    app = make_app(
        serverless_url=emulator.serverless_base_url,
        on_demand_url=emulator.on_demand_base_url,
        control_plane_url=emulator.control_plane_base_url,
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        by_surface = rows(app)
        assert by_surface["serverless"].status.ok  # /health and /version are public on serverless
        assert "No inference API key" in summary(by_surface["serverless"])
        on_demand = by_surface["on_demand"]
        assert on_demand.status.health is None and on_demand.has_class("-off")
        assert "user id" in on_demand.status.note
        control = by_surface["control_plane"]
        assert control.status.health == "reachable (HTTP 401)"
        assert "Not logged in" in summary(control)
        assert app.context.login == LoginState.NOT_LOGGED_IN


async def test_bytes_that_are_not_utf8_are_said_beside_the_replacement_characters(emulator_env, make_app):
    emulator_env.state.faults.add("bad_utf8@serverless:/version")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, "status")
        row = rows(app)["serverless"]
        assert row.status.ok and "\ufffd" in summary(row)
        assert "not UTF-8" in summary(row)
        assert "not UTF-8" not in summary(rows(app)["on_demand"])
