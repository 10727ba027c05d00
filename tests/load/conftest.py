"""The load tests run the whole app against an emulator that streams at a human pace, so that an
answer is still arriving when the test stops it, leaves, or quits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# The app fixtures of the UI tests, not copies of them.
from tests.tui.conftest import emulator_env, make_app  # noqa: F401
from tm_tui.emulator.server import RunningEmulator, run_emulator
from tm_tui.emulator.state import EmulatorState, Pacing


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """Answers arrive over several seconds (about 20 tokens a second after a short first token)."""
    with run_emulator(EmulatorState(pacing=Pacing(ttft_s=0.05, tokens_per_s=20.0))) as running:
        yield running
