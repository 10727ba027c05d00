"""Helpers for the config tests: the isolated directories and a file-writing shortcut."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
