"""Faults × sections: every network-facing view (`reliability.PROBES`) against every failure
(`reliability.FAULTS`). Each time: a good load first; then, with the fault armed, a reload keeps the
app up, says what went wrong in place, keeps what was shown; once the fault clears, a reload recovers.
`tests/RELIABILITY.md` is generated from the same registry (a test keeps it in sync)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tm_tui.app import TmApp

from .chat_helpers import PLAIN_MODEL
from .helpers import SIZE, notifications, settle, write_profiles
from .reliability import (
    CASES,
    FAULTS,
    PROBES,
    TIMEOUT_S,
    Fault,
    Probe,
    case_id,
    client_faults,
    error_panels,
    screen_text,
    self_signed_cert,
    tls_proxy,
    until,
)

DOC = Path(__file__).parents[1] / "RELIABILITY.md"


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tight_limits(emulator_env, isolated_dirs, monkeypatch):
    """No retries, short timeouts: a failing server is given up on in about TIMEOUT_S."""
    monkeypatch.setenv("TENSORMESH_TIMEOUT_SECONDS", str(TIMEOUT_S))
    monkeypatch.setenv("TENSORMESH_MAX_RETRIES", "0")
    write_profiles(
        isolated_dirs["TM_TUI_CONFIG_DIR"], f"[profiles.default]\nstream_idle_timeout_s = {TIMEOUT_S}\n"
    )
    emulator_env.state.auto_approve_login_after_s = 0.0
    return emulator_env


def unexpected(app: TmApp) -> list:
    return [n for n in notifications(app) if n[0] == "Unexpected error"]


@pytest.mark.timeout(300)  # a row of ~20 faults; a failing one waits out its polls and the walk goes on
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
async def test_every_fault_is_survived_said_in_place_and_recovered(
    tight_limits, make_app, monkeypatch, self_signed, case
):
    """One app walks the faults of a view (of a group of them, for chat) in turn, see `CASES`; a failing
    pair is reported by name and the walk goes on, so one run shows the whole row."""
    probe, group = case
    emulator = tight_limits
    failures: list[str] = []
    port = surface_port(emulator, probe)
    with client_faults(monkeypatch) as client, tls_proxy(*self_signed, port) as proxy:
        client.port, client.tls_port = port, proxy.port
        if probe.prepare is not None:
            probe.prepare(emulator)
        app = make_app(model=PLAIN_MODEL)
        async with app.run_test(size=SIZE) as pilot:
            await probe.open(pilot)
            await probe.load(pilot)
            await until(pilot, probe.kept, f"{probe.id}: the first load")
            for fault in (f for f in FAULTS if f.applies(probe) and group in ("all", f.group)):
                try:
                    await one_fault(pilot, emulator, client, probe, fault)
                except AssertionError as error:
                    failures.append(f"{probe.id} × {fault.id}: {str(error).splitlines()[0]}")
                    emulator.state.faults.clear()
                    client.mode = ""
    assert not failures, "\n".join(failures)


async def one_fault(pilot, emulator, client, probe: Probe, fault: Fault) -> None:
    app = pilot.app
    armed = emulator.state.faults.add(fault.spec + probe.route()) if fault.spec else None
    client.mode = fault.client
    await probe.load(pilot)
    await settle(pilot)
    assert app.is_running and not unexpected(app), unexpected(app)
    assert probe.kept(app), f"what was shown is gone; the screen shows:\n{screen_text(app)}"
    if fault.says_error:
        assert probe.errored(app), "no error shown in place"
    if fault.title:
        titles = [panel.info.title for panel in error_panels(app)]
        assert fault.title in titles, f"the error is not said as {fault.title!r}: {titles}"
    if armed is not None:
        emulator.state.faults.remove(armed.id)
    client.mode = ""
    await probe.load(pilot)
    await until(pilot, probe.healthy, "recovery once the fault cleared")
    assert probe.kept(app) and not unexpected(app), "not recovered"


def surface_port(emulator, probe: Probe) -> int:
    return urlsplit(getattr(emulator, f"{probe.surface}_base_url")).port


@pytest.mark.parametrize("probe", [p for p in PROBES if p.id in ("models", "account")], ids=lambda p: p.id)
async def test_a_self_signed_server_is_trusted_with_its_ca_bundle(
    tight_limits, make_app, monkeypatch, self_signed, probe
):
    """The same self-signed HTTPS server the matrix refuses works once its certificate is the CA bundle."""
    cert, _ = self_signed
    monkeypatch.setenv("TENSORMESH_CA_BUNDLE", str(cert))
    port = surface_port(tight_limits, probe)
    with client_faults(monkeypatch) as client, tls_proxy(*self_signed, port) as proxy:
        client.port, client.tls_port, client.mode = port, proxy.port, "tls-self-signed"
        app = make_app(model=PLAIN_MODEL)
        async with app.run_test(size=SIZE) as pilot:
            await probe.open(pilot)
            await probe.load(pilot)
            await until(pilot, probe.kept, f"{probe.id}: a load over TLS")
            assert not error_panels(app) and not unexpected(app)
    assert proxy.relayed > 0, "nothing went through the HTTPS server"


def matrix_doc() -> str:
    lines = [
        "# Reliability: faults × sections",
        "",
        "Generated from `tests/tui/reliability.py` by `tests/tui/test_fault_matrix.py`",
        "(`TM_TUI_WRITE_RELIABILITY=1` rewrites it). Each ✓ is a test: a good load, then with the fault",
        "armed the app stays up, says what went wrong in place and keeps what it showed; once the fault",
        f"clears a reload recovers. Client limits: timeout {TIMEOUT_S:g} s, stream idle timeout {TIMEOUT_S:g} s, no retries.",
        "— : the fault does not apply (a stream-only failure on a plain reply, or the reverse; a body's",
        "shape where the view needs only the 2xx, as revoking a key).",
        "",
        "| fault | " + " | ".join(p.id for p in PROBES) + " | what it is |",
        "|---|" + "---|" * len(PROBES) + "---|",
    ]
    for fault in FAULTS:
        cells = ["✓" if fault.applies(p) else "—" for p in PROBES]
        lines.append(f"| {fault.id} | " + " | ".join(cells) + f" | {fault.note or fault.spec} |")
    tried = sum(fault.applies(p) for p in PROBES for fault in FAULTS)
    lines += [
        "",
        f"{tried} combinations tried, {tried} survived (the suite fails otherwise).",
        "",
        "With its certificate as the CA bundle (`TENSORMESH_CA_BUNDLE`), the same self-signed HTTPS server",
        "serves Models and Account (`test_a_self_signed_server_is_trusted_with_its_ca_bundle`).",
        "",
    ]
    return "\n".join(lines)


def test_reliability_doc_is_in_sync():
    if os.environ.get("TM_TUI_WRITE_RELIABILITY"):
        DOC.write_text(matrix_doc(), encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == matrix_doc(), "run with TM_TUI_WRITE_RELIABILITY=1"
