"""Every config test runs with HOME, the tm CLI root and tm-tui's dirs in a tmp dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Dirs:
    home: Path
    tm: Path  # TM_CONFIG_HOME
    tui: Path  # TM_TUI_CONFIG_DIR

    @property
    def tm_config(self) -> Path:
        return self.tm / "config.toml"

    @property
    def tm_auth(self) -> Path:
        return self.tm / "auth.json"

    @property
    def tui_config(self) -> Path:
        return self.tui / "config.toml"

    @property
    def credentials(self) -> Path:
        return self.tui / "credentials.json"


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


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
