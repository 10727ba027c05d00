"""Contract: the `tm` CLI (in subprocesses) and the `openai` package against the running emulator."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openai import AsyncOpenAI, OpenAI

from tm_tui.emulator.catalog import ON_DEMAND_MODELS, SERVERLESS_MODELS
from tm_tui.emulator.server import RunningEmulator
from tm_tui.emulator.state import DEMO_USER_ID

TM = str(Path(sys.executable).with_name("tm"))
MODEL = next(m.name for m in SERVERLESS_MODELS if m.active and not m.reasoning)
CHAT = json.dumps([{"role": "user", "content": "Say hello."}])


def tm(emulator: RunningEmulator, *args: str, on_demand: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # isolated_dirs already points TM_CONFIG_HOME and HOME at temp dirs
    if on_demand:
        env["TENSORMESH_ENABLE_ON_DEMAND"] = "1"
    result = subprocess.run(
        [TM, "--controlplane-base", emulator.control_plane_base_url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, f"tm {' '.join(args)}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


@pytest.fixture
def logged_in(emulator: RunningEmulator, isolated_dirs: dict[str, Path]) -> Path:
    """`tm auth login` completed through the emulator's auto-approval; returns auth.json."""
    emulator.state.auto_approve_login_after_s = 0
    result = tm(emulator, "auth", "login", "--no-open-browser", "--max-wait-seconds", "20")
    assert f"Open browser: {emulator.control_plane_base_url}/cli-login?code=" in result.stderr + result.stdout
    return isolated_dirs["TM_CONFIG_HOME"] / "auth.json"


def test_login_whoami_refresh(emulator: RunningEmulator, logged_in: Path) -> None:
    tokens = json.loads(logged_in.read_text())
    assert tokens["access_token"] and tokens["refresh_token"]
    assert stat.S_IMODE(logged_in.stat().st_mode) == 0o600
    assert DEMO_USER_ID in tm(emulator, "--output", "json", "auth", "whoami").stdout
    tm(emulator, "auth", "refresh")
    refreshed = json.loads(logged_in.read_text())
    assert refreshed["access_token"] != tokens["access_token"]
    assert DEMO_USER_ID in tm(emulator, "--output", "json", "auth", "whoami").stdout


def test_billing_commands(emulator: RunningEmulator, logged_in: Path) -> None:
    balance = json.loads(tm(emulator, "--output", "json", "billing", "balance").stdout)
    assert "units" in json.dumps(balance)
    pricing = tm(
        emulator, "--output", "json", "billing", "pricing", "serverless", "list", "--active-only"
    ).stdout
    assert MODEL in pricing and "Mistral-7B" not in pricing
    cost = json.loads(tm(emulator, "--output", "json", "cost", "--window", "30d").stdout)
    assert MODEL in json.dumps(cost)


def test_init_sync_picks_the_up_deployment(emulator: RunningEmulator, logged_in: Path) -> None:
    tm(emulator, "init", "--sync", on_demand=True)
    config = (logged_in.parent / "config.toml").read_text()
    assert f'gateway_user_id = "{DEMO_USER_ID}"' in config
    assert f'gateway_api_key = "{emulator.deployment_api_key}"' in config
    assert any(f'gateway_model_id = "{name}"' in config for name in ON_DEMAND_MODELS)


def test_infer_chat_stream_on_both_surfaces(emulator: RunningEmulator) -> None:
    common = ("--api-key", emulator.inference_api_key, "--stream", "--json", CHAT)
    serverless = tm(
        emulator, "infer", "chat", "--base-url", emulator.serverless_base_url, "--model", MODEL, *common
    )
    assert serverless.stdout.strip()
    on_demand = tm(
        emulator,
        "infer",
        "chat",
        "--surface",
        "on-demand",
        "--base-url",
        emulator.on_demand_base_url,
        "--user-id",
        emulator.on_demand_user_id,
        "--model",
        ON_DEMAND_MODELS[0],
        *common,
        on_demand=True,
    )
    assert on_demand.stdout.strip()


def test_openai_package(emulator: RunningEmulator) -> None:
    client = OpenAI(base_url=f"{emulator.serverless_base_url}/v1", api_key=emulator.inference_api_key)
    assert MODEL in {m.id for m in client.models.list()}
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=12
    )
    assert reply.choices[0].message.content and reply.usage.total_tokens > 0
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        max_tokens=12,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.completion_tokens > 0
    completion = client.completions.create(model=MODEL, prompt="Once upon", max_tokens=8)
    assert completion.choices[0].text


async def test_async_openai_on_demand(emulator: RunningEmulator) -> None:
    client = AsyncOpenAI(
        base_url=f"{emulator.on_demand_base_url}/v1",
        api_key=emulator.deployment_api_key,
        default_headers={"X-User-Id": emulator.on_demand_user_id},
    )
    stream = await client.chat.completions.create(
        model=ON_DEMAND_MODELS[0], messages=[{"role": "user", "content": "Hi"}], max_tokens=12, stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text
    await client.close()
