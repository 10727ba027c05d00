"""`Session` on its own (no Textual): clients per surface, refresh-once on 401, profile switching,
per-profile surface and model, all against the live emulator."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from tm_tui.config import Profile, ProfileStore, resolve_settings
from tm_tui.session import Session, SessionChange
from tm_tui.state import LaunchOptions, LoginState


def session_for(env_profile: str | None = None) -> Session:
    return Session(resolve_settings(LaunchOptions(profile=env_profile)))


def test_a_session_never_imports_textual():
    code = (
        "import asyncio, sys\n"
        "from tm_tui.config import resolve_settings\n"
        "from tm_tui.state import LaunchOptions\n"
        "from tm_tui.session import Session\n"
        "session = Session(resolve_settings(LaunchOptions()))\n"
        "asyncio.run(session.aclose())\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


async def test_clients_follow_the_settings(emulator_env):
    session = session_for()
    try:
        assert session.serverless and session.on_demand and session.control_plane
        assert (await session.inference("on-demand").health()).status == "ok"
        await session.check_login()
        assert session.login_state == LoginState.LOGGED_IN and session.display_name == "Ada L."
    finally:
        await session.aclose()


async def test_missing_pieces_are_explained(emulator, monkeypatch):
    monkeypatch.setenv("TENSORMESH_SERVERLESS_BASE_URL", emulator.serverless_base_url)
    session = session_for()
    try:
        assert session.serverless is not None  # public endpoints still work
        assert session.on_demand is None and "user id" in session.on_demand_reason
        assert session.control_plane is None and "Not logged in" in session.control_plane_reason
        await session.check_login()
        assert session.login_state == LoginState.NOT_LOGGED_IN
    finally:
        await session.aclose()


async def test_a_401_refreshes_once_and_stores_the_new_tokens(emulator, monkeypatch, isolated_dirs):
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_BASE_URL", emulator.control_plane_base_url)
    flow = emulator.control_plane.login
    code = flow.start().cli_code
    assert flow.approve(code)
    _, tokens = flow.exchange(code)
    auth = isolated_dirs["TM_CONFIG_HOME"] / "auth.json"
    auth.write_text(json.dumps({"access_token": "tmcp_stale", "refresh_token": tokens.refresh_token}))

    session = session_for()
    try:
        user = await session.control_plane.profile()  # 401 → /auth/cli/refresh → retried once
        assert user.display_name == "Ada L."
        assert session.login_state == LoginState.LOGGED_IN
        stored = json.loads(auth.read_text())
        assert stored["access_token"] not in ("tmcp_stale", tokens.access_token)
        assert stored["refresh_token"] != tokens.refresh_token  # rotated, as the server returned it
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    finally:
        await session.aclose()


async def test_a_dead_refresh_token_means_expired(emulator, monkeypatch, isolated_dirs):
    monkeypatch.setenv("TENSORMESH_CONTROL_PLANE_BASE_URL", emulator.control_plane_base_url)
    auth = isolated_dirs["TM_CONFIG_HOME"] / "auth.json"
    auth.write_text(json.dumps({"access_token": "tmcp_stale", "refresh_token": "tmrt_unknown"}))
    session = session_for()
    try:
        await session.check_login()
        assert session.login_state == LoginState.EXPIRED
    finally:
        await session.aclose()


async def test_switching_profiles_rebuilds_the_clients(emulator_env, isolated_dirs):
    store = ProfileStore()
    store.create(Profile(name="staging", serverless_base_url="http://127.0.0.1:9"))
    session = session_for()
    old_http, generation = session.http, session.generation
    try:
        await session.change(SessionChange(profile="staging"))
        assert session.profile_name == "staging"
        assert session.generation == generation + 1
        assert old_http.is_closed and not session.http.is_closed
        # Env still applies (it is above profiles); the profile's own URL is below it.
        assert session.serverless.transport.base_url == emulator_env.serverless_base_url
        assert store.active_name == "staging"

        await session.change(SessionChange(profile="default"))
        assert session.profile_name == "default"
        with pytest.raises(Exception, match="no profile named"):
            await session.change(SessionChange(profile="missing"))
    finally:
        await session.aclose()


async def test_surface_and_model_are_remembered_per_profile(emulator_env):
    session = session_for()
    try:
        await session.change(SessionChange(surface="serverless", model="openai/gpt-oss-120b"))
        await session.change(SessionChange(surface="on-demand", model="ada-llama-8b"))
        assert session.context().surface == "on_demand" and session.context().model == "ada-llama-8b"
        await session.change(SessionChange(reload=True))
        assert session.surface == "on_demand"
        assert session.model("serverless") == "openai/gpt-oss-120b"
        assert session.model("on_demand") == "ada-llama-8b"
        saved = ProfileStore().get("default")
        assert (saved.surface, saved.model, saved.on_demand_model) == (
            "on_demand",
            "openai/gpt-oss-120b",
            "ada-llama-8b",
        )
    finally:
        await session.aclose()


async def test_a_choice_is_what_the_settings_show_and_outlives_a_reload(emulator_env):
    options = LaunchOptions(model="openai/gpt-oss-120b")  # a launch flag, outranked by a later choice
    session = Session(resolve_settings(options), options=options)
    try:
        await session.change(SessionChange(model="deepseek-ai/DeepSeek-R1-0528"))
        rows = {row.name: row for row in session.settings.describe()}
        assert rows["model"].value == session.context().model == "deepseek-ai/DeepSeek-R1-0528"
        assert rows["model"].source.startswith("tm-tui config")  # stored in the profile
        await session.change(SessionChange(surface="on-demand"))
        rows = {row.name: row for row in session.settings.describe()}
        assert (rows["surface"].value, rows["model"].value) == ("on_demand", "not set")
        assert session.context().model is None
        await session.change(SessionChange(surface="serverless"))
        await session.change(SessionChange(reload=True))  # e.g. after a login: the choice stays
        assert session.context().model == session.settings.model.value == "deepseek-ai/DeepSeek-R1-0528"
    finally:
        await session.aclose()


async def test_a_key_is_probed_where_the_session_sends_requests(emulator_env, monkeypatch):
    from tm_tui.api.errors import AuthError
    from tm_tui.surface import Surface

    # The on-demand host comes from the profile's host table, not from the environment.
    monkeypatch.delenv("TENSORMESH_ON_DEMAND_BASE_URL")
    hosts = {"lambda": emulator_env.on_demand_base_url}
    ProfileStore().create(
        Profile(name="od", surface="on-demand", gateway_provider="lambda", on_demand_hosts=hosts)
    )
    session = session_for("od")
    try:
        assert session.settings.on_demand_base_url.value == emulator_env.on_demand_base_url
        key = session.settings.inference_api_key.value.reveal()
        assert await session.probe_inference_key(key) is Surface.ON_DEMAND
        with pytest.raises(AuthError):
            await session.probe_inference_key("tmk_not_a_key_000000000000")
    finally:
        await session.aclose()
