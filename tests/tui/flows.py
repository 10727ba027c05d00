"""Helpers for the Account, Settings and Models flow tests: open a section, wait for a condition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from tm_tui.emulator.server import RunningEmulator, run_emulator

from ..conftest import unthrottled_state
from .conftest import settle

# Seeded emulator data and the key-expiry check both use this instant, so dates are deterministic.
FROZEN_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLL_S = 0.02
MAX_POLLS = 1000  # 20 s: generous for a loaded machine; the condition normally holds in milliseconds


@contextmanager
def frozen_emulator() -> Iterator[RunningEmulator]:
    """An emulator whose seeded dates are pinned to FROZEN_NOW (API keys, deployments)."""
    with run_emulator(unthrottled_state(), now=FROZEN_NOW) as running:
        yield running


async def open_section(pilot: Pilot, section_id: str) -> None:
    # By action, not by F-key: a focused TextArea (the chat prompt) binds some F-keys itself.
    await settle(pilot)
    await pilot.app.run_action(f"open_section('{section_id}')")
    await settle(pilot)


async def wait_until(pilot: Pilot, condition: Callable[[], object], what: str) -> None:
    """Wait for a condition that a running worker will bring about (e.g. a login URL shown)."""
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
