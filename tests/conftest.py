"""Fixtures shared by every test directory.

`isolated_dirs` (autouse) points every user directory at a fresh temp dir and clears the
Tensormesh environment, so no test reads or writes the real home. `emulator` runs a live emulator
on 127.0.0.1 with unthrottled streaming.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tm_tui.emulator.server import RunningEmulator, run_emulator
from tm_tui.emulator.state import EmulatorState, Pacing

_DIR_VARS = {
    "HOME": "home",
    "TM_CONFIG_HOME": "tm-config",
    "TM_TUI_CONFIG_DIR": "tm-tui-config",
    "TM_TUI_DATA_DIR": "tm-tui-data",
    "XDG_CONFIG_HOME": "xdg-config",
    "XDG_DATA_HOME": "xdg-data",
    "XDG_CACHE_HOME": "xdg-cache",
    "XDG_STATE_HOME": "xdg-state",
    "XDG_RUNTIME_DIR": "xdg-runtime",
}
# Variables that would point a client at a real service or a real account.
_CLEARED_PREFIXES = ("TENSORMESH_", "OPENAI_")


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """Every user directory in a temp dir; returns {env var: path}."""
    root = tmp_path_factory.mktemp("user-dirs")
    paths = {}
    for var, name in _DIR_VARS.items():
        path = root / name
        path.mkdir(mode=0o700)
        monkeypatch.setenv(var, str(path))
        paths[var] = path
    for var in list(os.environ):
        if var.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(var)
    return paths


@pytest.fixture(scope="session", autouse=True)
def no_secret_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """When the run ends, no file the suite wrote (exports, logs, history, screenshots...) holds a
    test secret; the credential stores are exempt (see tests/secret_scan.py)."""
    yield
    from tests.secret_scan import scan

    report = scan([tmp_path_factory.getbasetemp()])
    assert not report, "test secrets left in artifacts: " + "; ".join(
        f"{path}: {', '.join(found)}" for path, found in sorted(report.items())
    )


def unthrottled_state() -> EmulatorState:
    return EmulatorState(pacing=Pacing(unthrottled=True))


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """A fresh emulator per test (start-up takes a fraction of a second), streaming unthrottled."""
    with run_emulator(unthrottled_state()) as running:
        yield running


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[RunningEmulator]:
    """One emulator shared by a module's tests: only for tests that do not change its state."""
    with run_emulator(unthrottled_state()) as running:
        yield running
