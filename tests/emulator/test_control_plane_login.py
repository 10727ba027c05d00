"""The browser login flow (reference §7.3) and token lifetimes, driven over HTTP with a fake clock."""

from __future__ import annotations

import re

import httpx

from tests.emulator.conftest import FakeClock
from tm_tui.emulator.server import RunningEmulator
from tm_tui.emulator.state import DEMO_REFRESH_TOKEN


def start(anon: httpx.Client) -> dict:
    response = anon.post("/auth/cli/start")
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    body = response.json()
    assert isinstance(body["interval"], int | float) and body["interval"] > 0
    return body


def exchange(anon: httpx.Client, cli_code: str) -> httpx.Response:
    return anon.post("/auth/cli/exchange", json={"cli_code": cli_code})


def profile_status(anon: httpx.Client, token: str) -> int:
    return anon.get("/auth/profile", headers={"Authorization": f"Bearer {token}"}).status_code


def press(anon: httpx.Client, auth_url: str, decision: str) -> httpx.Response:
    """Load the approval page like a browser and submit its form with one of its buttons."""
    page = httpx.get(auth_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    form = re.search(r'<form method="post" action="([^"]+)">', page.text)
    code = re.search(r'name="code" value="([^"]+)"', page.text)
    assert form and code and f'value="{decision}"' in page.text
    return anon.post(form.group(1), data={"code": code.group(1), "decision": decision})


def test_approve_in_the_browser_page(anon: httpx.Client, clock: FakeClock) -> None:
    login = start(anon)
    assert login["auth_url"].startswith(str(anon.base_url))
    assert login["cli_code"] not in login["auth_url"]  # the polling secret never shows in the URL
    assert exchange(anon, login["cli_code"]).status_code == 202
    page = httpx.get(login["auth_url"])
    assert "Approve" in page.text and "Deny" in page.text and "ada@example.com" in page.text
    assert press(anon, login["auth_url"], "approve").status_code == 200

    done = exchange(anon, login["cli_code"])
    assert done.status_code == 200
    tokens = done.json()
    assert {"access_token", "refresh_token", "token_type", "expires_in"} <= tokens.keys()
    assert profile_status(anon, tokens["access_token"]) == 200
    assert exchange(anon, login["cli_code"]).status_code == 404  # one-shot
    assert httpx.get(login["auth_url"]).status_code == 404


def test_deny_in_the_browser_page(anon: httpx.Client, clock: FakeClock) -> None:
    login = start(anon)
    assert press(anon, login["auth_url"], "deny").status_code == 200
    denied = exchange(anon, login["cli_code"])
    assert denied.status_code == 403 and denied.json()["code"] == 7


def test_python_hooks_approve_and_deny(
    anon: httpx.Client, emulator: RunningEmulator, clock: FakeClock
) -> None:
    first, second = start(anon), start(anon)
    assert emulator.control_plane.approve(first["cli_code"])
    assert emulator.control_plane.deny(second["cli_code"])
    assert not emulator.control_plane.approve(second["cli_code"])  # already decided
    assert not emulator.control_plane.approve("cli_unknown")
    assert exchange(anon, first["cli_code"]).status_code == 200
    assert exchange(anon, second["cli_code"]).status_code == 403


def test_unknown_and_malformed_codes(anon: httpx.Client) -> None:
    assert exchange(anon, "cli_nope").status_code == 404
    assert anon.post("/auth/cli/exchange", json={}).status_code == 400
    assert anon.post("/auth/cli/exchange", content=b"not json").status_code == 400
    assert anon.post("/cli-login", data={"code": "ZZZZ-ZZZZ", "decision": "approve"}).status_code == 404


def test_codes_expire(anon: httpx.Client, emulator: RunningEmulator, clock: FakeClock) -> None:
    login = start(anon)
    clock.advance(emulator.state.login_code_ttl_s + 1)
    assert exchange(anon, login["cli_code"]).status_code == 410
    assert httpx.get(login["auth_url"]).status_code == 404
    assert not emulator.control_plane.approve(login["cli_code"])


def test_auto_approve_after_a_delay(anon: httpx.Client, emulator: RunningEmulator, clock: FakeClock) -> None:
    emulator.state.auto_approve_login_after_s = 5
    login = start(anon)
    assert exchange(anon, login["cli_code"]).status_code == 202
    clock.advance(5)
    assert exchange(anon, login["cli_code"]).status_code == 200


def test_access_token_expires_and_refresh_rotates(
    anon: httpx.Client, emulator: RunningEmulator, clock: FakeClock
) -> None:
    emulator.state.auto_approve_login_after_s = 0
    tokens = exchange(anon, start(anon)["cli_code"]).json()
    assert tokens["expires_in"] == int(emulator.state.access_token_ttl_s)
    clock.advance(emulator.state.access_token_ttl_s + 1)
    expired = anon.get("/auth/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert expired.status_code == 401 and expired.json()["code"] == 16
    # The fixed demo token never expires.
    assert profile_status(anon, emulator.control_plane_token) == 200

    refreshed = anon.post("/auth/cli/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] and new["access_token"] != tokens["access_token"]
    assert profile_status(anon, new["access_token"]) == 200
    reused = anon.post("/auth/cli/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    assert anon.post("/auth/cli/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 200
    assert anon.post("/auth/cli/refresh", json={}).status_code == 400


def test_the_demo_refresh_token_always_refreshes(anon: httpx.Client) -> None:
    """The demo login carries it, so `t` (refresh) works in every demo run, as often as asked."""
    for _ in range(2):
        refreshed = anon.post("/auth/cli/refresh", json={"refresh_token": DEMO_REFRESH_TOKEN})
        assert refreshed.status_code == 200
        assert profile_status(anon, refreshed.json()["access_token"]) == 200
