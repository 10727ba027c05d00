"""The runner: context managers, the command line, signals, and the deterministic seed behind it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tm_tui.emulator.seed import build_seed
from tm_tui.emulator.server import main, run_emulator
from tm_tui.emulator.state import DEMO_USER_ID, EmulatorState

CREDENTIAL_KEYS = [
    "serverless_base_url",
    "on_demand_base_url",
    "control_plane_base_url",
    "inference_api_key",
    "on_demand_user_id",
    "control_plane_token",
    "refresh_token",
]
SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refuses_connections(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=5)
    except httpx.ConnectError:
        return True
    return False


def test_three_listeners_then_a_clean_stop() -> None:
    with run_emulator() as emulator:
        urls = [emulator.serverless_base_url, emulator.on_demand_base_url, emulator.control_plane_base_url]
        assert len(set(urls)) == 3 and all(u.startswith("http://127.0.0.1:") for u in urls)
        assert list(emulator.credentials()) == CREDENTIAL_KEYS
        headers = {"Authorization": f"Bearer {emulator.inference_api_key}"}
        assert httpx.get(f"{emulator.serverless_base_url}/health", headers=headers).status_code == 200
        on_demand = httpx.get(
            f"{emulator.on_demand_base_url}/v1/models",
            headers=headers | {"X-User-Id": emulator.on_demand_user_id},
        )
        assert on_demand.status_code == 200
        profile = httpx.get(
            f"{emulator.control_plane_base_url}/auth/profile",
            headers={"Authorization": f"Bearer {emulator.control_plane_token}"},
        )
        assert profile.json()["user"]["id"] == emulator.on_demand_user_id
    assert all(refuses_connections(u) for u in urls)


def test_given_ports_and_state() -> None:
    ports = free_port(), free_port(), free_port()
    state = EmulatorState(auto_approve_login_after_s=0)
    with run_emulator(
        state, serverless_port=ports[0], on_demand_port=ports[1], control_plane_port=ports[2]
    ) as em:
        assert em.serverless_base_url.endswith(f":{ports[0]}")
        assert em.on_demand_base_url.endswith(f":{ports[1]}")
        assert em.control_plane_base_url.endswith(f":{ports[2]}")
        assert em.state is state


def test_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError), run_emulator(control_plane_port=taken.getsockname()[1]):
            pass


def test_seed_is_deterministic_for_a_fixed_now() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    first, second = build_seed(DEMO_USER_ID, now=now), build_seed(DEMO_USER_ID, now=now)
    assert first == second
    assert first.transactions[0]["createdAt"] == "2026-03-02T12:00:00Z"
    assert len(first.transactions) >= 1000 and len(first.tickets) >= 25 and len(first.activities) >= 100
    later = build_seed(DEMO_USER_ID, now=datetime(2026, 4, 2, tzinfo=UTC))
    assert later.transactions[0]["createdAt"] == "2026-04-02T00:00:00Z"


def test_main_rejects_a_bad_fault(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--fault", "explode=1"])
    assert exit_info.value.code == 2
    assert "--fault" in capsys.readouterr().err


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "tm_tui.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_json_line_then_clean_exit_on_signal(stop_signal: signal.Signals) -> None:
    process = _spawn(
        "--json", "--unthrottled", "--auto-approve", "0", "--fault", "status=503@serverless:/health"
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert list(info) == CREDENTIAL_KEYS
        cp = httpx.get(
            f"{info['control_plane_base_url']}/auth/profile",
            headers={"Authorization": f"Bearer {info['control_plane_token']}"},
        )
        assert cp.status_code == 200
        headers = {"Authorization": f"Bearer {info['inference_api_key']}"}
        assert httpx.get(f"{info['serverless_base_url']}/health", headers=headers).status_code == 503
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert refuses_connections(info["control_plane_base_url"])


def test_cli_text_output_has_exports() -> None:
    process = _spawn("--unthrottled")
    try:
        assert process.stdout is not None
        lines = []
        while not (line := process.stdout.readline()).startswith("tm infer chat"):
            lines.append(line)
        text = "".join(lines)
        for var in ("TENSORMESH_CONTROL_PLANE_TOKEN", "TENSORMESH_SERVERLESS_BASE_URL", "OPENAI_BASE_URL"):
            assert f"export {var}=" in text
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
