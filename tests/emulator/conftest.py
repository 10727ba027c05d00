"""Helpers for the emulator tests: an authenticated control-plane client and a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tm_tui.emulator.server import RunningEmulator


class FakeClock:
    """Stands in for `time.time` in the login flow so tests move time instead of sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def cp(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """httpx client on the control plane, authenticated with the demo token."""
    headers = {"Authorization": f"Bearer {emulator.control_plane_token}"}
    with httpx.Client(base_url=emulator.control_plane_base_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def anon(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """httpx client on the control plane without credentials."""
    with httpx.Client(base_url=emulator.control_plane_base_url, timeout=10) as client:
        yield client


@pytest.fixture
def clock(emulator: RunningEmulator) -> FakeClock:
    fake = FakeClock()
    emulator.control_plane.login.clock = fake
    return fake
