"""Helpers shared by the Pilot tests: wait for workers or a condition, open a section as a user does,
read what a widget shows, snapshot a section. The chat ones are in `chat_helpers.py`."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

from tm_tui.app import TmApp
from tm_tui.emulator.server import RunningEmulator, run_emulator

from ..conftest import unthrottled_state

SIZE = (120, 40)  # every Pilot test and snapshot runs at this terminal size
# Seeded emulator data and the key-expiry check both use this instant, so dates are deterministic.
FROZEN_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLL_S = 0.02
MAX_POLLS = 1000  # 20 s: generous for a loaded machine; the condition normally holds in milliseconds


@contextmanager
def frozen_emulator() -> Iterator[RunningEmulator]:
    """An emulator whose seeded dates are pinned to FROZEN_NOW (API keys, deployments)."""
    with run_emulator(unthrottled_state(), now=FROZEN_NOW) as running:
        yield running


async def settle(pilot: Pilot, rounds: int = 50) -> None:
    """Wait for every worker (including ones started by messages handled meanwhile) to finish."""
    app = pilot.app
    for _ in range(rounds):
        # Failures are the app's to report (and tests' to check); an exclusive worker replaced by a
        # newer one of its group is cancelled, which is no reason to stop waiting for the rest.
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers did not settle")


def notifications(app: TmApp) -> list[tuple[str, str, str]]:
    """(title, message, severity) of every notification the app has shown."""
    return [(n.title, n.message, n.severity) for n in app._notifications]


async def open_section(pilot: Pilot, section_id: str) -> None:
    """Switch to a section by its key, as a user would, and let it load. The section keys are
    priority bindings, so a focused text area (the chat prompt) does not swallow them."""
    from tm_tui.screens.sections import section

    await settle(pilot)
    await pilot.press(section(section_id).key)
    await settle(pilot)


async def wait_until(pilot: Pilot, condition: Callable[[], object], what: str = "the condition") -> None:
    """Let the app run until `condition()` holds, e.g. a state a running worker brings about
    (bounded polling, never a fixed sleep)."""
    for _ in range(MAX_POLLS):
        if condition():
            return
        await pilot.pause(POLL_S)
    raise AssertionError(f"timed out waiting for {what}")


def write_profiles(config_dir: Path, text: str) -> None:
    (config_dir / "config.toml").write_text(text, encoding="utf-8")


def plain(static: Static) -> str:
    """The text a Static shows, whatever it holds (Text, a rich Table...)."""
    console = Console(width=200, color_system=None, highlight=False)
    with console.capture() as capture:
        console.print(static.content)
    return capture.get()


def shown_lines(widget: Widget) -> list[str]:
    """The lines `widget` shows on screen, at its laid-out size (so wrapping and truncation show)."""
    width, height = widget.size
    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, width, height))]


def snapshot_of(section_id: str, *keys: str) -> Callable[[Pilot], Awaitable[None]]:
    """A `snap_compare` run_before: open a section, press keys, settle, stop the cursor blinking."""

    async def run_before(pilot: Pilot) -> None:
        await open_section(pilot, section_id)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        for widget in pilot.app.screen.query(Input):
            widget.cursor_blink = False
        await pilot.pause()

    return run_before
