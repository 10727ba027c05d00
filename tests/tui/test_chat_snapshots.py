"""SVG snapshots of the chat at 120x40 (`pytest --snapshot-update` regenerates the baselines).

Deterministic without fixed ports: no chat picture shows a base URL (View code, which does, is not
snapshotted), answers come from `Script` (fixed text, request id and a clock that ticks 0.1 s per
read, so TTFT/total/tokens-per-second are fixed), and error request ids are pinned. Streaming
mid-way is a script held after its reasoning chunks.
"""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from tm_tui.app import TmApp
from tm_tui.emulator import faults
from tm_tui.emulator.server import RunningEmulator
from tm_tui.state import LaunchOptions

from .chat_helpers import REASONING_MODEL, reasoning_script, send
from .conftest import fixed_clock
from .helpers import SIZE, settle, wait_until


@pytest.fixture
def pinned_emulator(emulator_env: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    """The per-test emulator (random ports: no chat picture shows a URL) with pinned request ids."""
    monkeypatch.setattr(faults, "new_request_id", lambda: "req_snapshot")
    return emulator_env


def app() -> TmApp:
    return TmApp(LaunchOptions(model=REASONING_MODEL), clock=fixed_clock)


async def steady(pilot) -> None:
    """Settle, and stop the prompts' cursor blinking (it would make the picture time-dependent)."""
    await settle(pilot)
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


def test_chat_idle(pinned_emulator, snap_compare):
    assert snap_compare(app(), terminal_size=SIZE, run_before=steady)


def test_chat_streaming_with_reasoning(pinned_emulator, snap_compare, monkeypatch):
    script = reasoning_script(hold_after=2)  # the reasoning has arrived, the answer not yet

    async def streaming(pilot) -> None:
        await settle(pilot)
        script.install(monkeypatch, pilot.app.session.inference())
        await send(pilot, "Say hello", wait=False)
        screen = pilot.app.screen
        await wait_until(
            pilot, lambda: screen.turn is not None and screen.turn.shown == screen.turn.version == 2
        )
        for area in screen.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app(), terminal_size=SIZE, run_before=streaming)


def test_chat_finished_with_metrics(pinned_emulator, snap_compare, monkeypatch):
    async def finished(pilot) -> None:
        await settle(pilot)
        reasoning_script().install(monkeypatch, pilot.app.session.inference())
        await send(pilot, "Say hello")
        await steady(pilot)

    assert snap_compare(app(), terminal_size=SIZE, run_before=finished)


def test_chat_error_state(pinned_emulator, snap_compare):
    pinned_emulator.state.faults.add("status=429,retry_after=7@serverless:/v1/chat/completions")

    async def failed(pilot) -> None:
        await settle(pilot)
        await send(pilot, "Say hello")
        await steady(pilot)

    assert snap_compare(app(), terminal_size=SIZE, run_before=failed)


def test_chat_compare_view(pinned_emulator, snap_compare, monkeypatch):
    async def compared(pilot) -> None:
        await settle(pilot)
        session = pilot.app.session
        reasoning_script().install(monkeypatch, session.inference("serverless"))
        reasoning_script().install(monkeypatch, session.inference("on_demand"))
        pilot.app.screen.query_one("#prompt").replace_text("Say hello")
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")
        await steady(pilot)

    assert snap_compare(app(), terminal_size=SIZE, run_before=compared)
