"""Every config test runs with HOME, the tm CLI root and tm-tui's dirs in a tmp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.config.helpers import Dirs


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dirs:
    for name in list(os.environ):
        if name.startswith(("TENSORMESH_", "TM_")):
            monkeypatch.delenv(name)
    result = Dirs(home=tmp_path / "home", tm=tmp_path / "tm-home", tui=tmp_path / "tui-config")
    result.home.mkdir()
    monkeypatch.setenv("HOME", str(result.home))
    monkeypatch.setenv("TM_CONFIG_HOME", str(result.tm))
    monkeypatch.setenv("TM_TUI_CONFIG_DIR", str(result.tui))
    monkeypatch.setenv("TM_TUI_DATA_DIR", str(tmp_path / "tui-data"))
    monkeypatch.setenv("TM_TUI_CACHE_DIR", str(tmp_path / "tui-cache"))
    return result
