"""Every local file broken in every way a disk can break it: the app starts (normal start and
`--demo`), says which file is wrong, and leaves the file as it was (the start-up cache, only a hint,
may instead be moved aside with a message)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tm_tui.config.readers import MAX_FILE_BYTES

from .helpers import SIZE, notifications, settle


@dataclass(frozen=True)
class LocalFile:
    name: str
    env_dir: str  # the isolated_dirs entry holding it
    filename: str
    wrong_types: bytes  # parses, but a value has the wrong type
    truncated: bytes  # a valid file cut short


def _sqlite_bytes(tmp: Path, user_version: int = 0) -> bytes:
    path = tmp / f"made-{user_version}.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (zeroblob(9000))")
        conn.execute(f"PRAGMA user_version = {user_version}")
    conn.close()
    return path.read_bytes()


FILES = {
    "tm config.toml": LocalFile(
        "tm config.toml",
        "TM_CONFIG_HOME",
        "config.toml",
        b'timeout_seconds = "soon"\n[overrides]\ngateway_api_key = 5\n',
        b'controlplane_base = "https://api.exa',
    ),
    "tm auth.json": LocalFile(
        "tm auth.json",
        "TM_CONFIG_HOME",
        "auth.json",
        b'{"access_token": 42, "refresh_token": ["x"]}',
        b'{\n  "access_token": "tmcp_abc',
    ),
    "tm-tui config.toml": LocalFile(
        "tm-tui config.toml",
        "TM_TUI_CONFIG_DIR",
        "config.toml",
        b'active_profile = 3\n[profiles]\nwork = "not a table"\n',
        b'active_profile = "work"\n[profiles.wo',
    ),
    "tm-tui credentials.json": LocalFile(
        "tm-tui credentials.json",
        "TM_TUI_CONFIG_DIR",
        "credentials.json",
        b'{"default": {"inference_api_key": 7}}',
        b'{"default": {"inference_api_key": "sk-',
    ),
    "cache.json": LocalFile(
        "cache.json",
        "TM_TUI_DATA_DIR",
        "cache.json",
        b"[1, 2, 3]",
        b'{"version": 1, "last_profile": "def',
    ),
    "history database": LocalFile(
        "history database",
        "TM_TUI_DATA_DIR",
        "history.sqlite3",
        b"",  # filled in per test: a file from a newer tm-tui (schema 99)
        b"",  # filled in per test: a real SQLite file cut short
    ),
}
DEMO_FILES = ("cache.json", "history database")  # --demo reads no settings file, only these


def _breakages(file: LocalFile, tmp: Path) -> dict[str, Callable[[Path], None]]:
    wrong, cut = file.wrong_types, file.truncated
    if file.filename.endswith(".sqlite3"):
        wrong, cut = _sqlite_bytes(tmp, 99), _sqlite_bytes(tmp)[:5000]
    return {
        "truncated": lambda path: path.write_bytes(cut),
        "wrong types": lambda path: path.write_bytes(wrong),
        "directory in the way": lambda path: path.mkdir(),
        "invalid utf-8": lambda path: path.write_bytes(b"\xff\xfe\x00garbage \xc3\x28 \xa0\xa1"),
        "huge": lambda path: path.write_bytes(b"#" * (MAX_FILE_BYTES + 10)),
        "unreadable": lambda path: (path.write_bytes(cut), path.chmod(0)),
    }


BREAKAGES = ["truncated", "wrong types", "directory in the way", "invalid utf-8", "huge", "unreadable"]
ROOT = os.geteuid() == 0


def _snapshot(path: Path) -> bytes | str:
    return "<directory>" if path.is_dir() else path.read_bytes()


async def _start_and_check(make_app, isolated_dirs, tmp_path, file: LocalFile, breakage: str, **options):
    if breakage == "unreadable" and ROOT:
        pytest.skip("root reads a chmod 000 file; the reader's PermissionError path is unit-tested")
    path = isolated_dirs[file.env_dir] / file.filename
    _breakages(file, tmp_path)[breakage](path)
    before = _snapshot(path) if breakage != "unreadable" else b""
    app = make_app(**options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running and app.session is not None
        shown = [message for _, message, _ in notifications(app)]
        if not (
            file.filename == "config.toml" and file.env_dir == "TM_CONFIG_HOME" and breakage == "wrong types"
        ):
            assert any(str(path) in message for message in shown), shown
        else:  # two keys of the wrong type: each one reported, the rest of the file still used
            assert sum(f"{path}: " in message for message in shown) == 2, shown
        assert not any("Traceback" in message or "Unexpected error" in message for message in shown)
    if breakage == "unreadable":
        path.chmod(0o600)
        return
    moved = path.with_name(path.name + ".broken")
    if file.filename == "cache.json" and moved.exists():  # moved aside, with a message
        assert moved.read_bytes() == before
        assert any(f"moved aside to {moved}" in message for message in shown)
    else:
        assert _snapshot(path) == before  # nothing overwritten


@pytest.mark.parametrize("breakage", BREAKAGES)
@pytest.mark.parametrize("file", list(FILES), ids=str)
async def test_a_broken_file_is_named_and_the_app_still_starts(
    emulator_env, make_app, isolated_dirs, tmp_path, file, breakage
):
    await _start_and_check(make_app, isolated_dirs, tmp_path, FILES[file], breakage)


@pytest.mark.parametrize("breakage", BREAKAGES)
@pytest.mark.parametrize("file", DEMO_FILES, ids=str)
async def test_demo_mode_starts_over_a_broken_file(make_app, isolated_dirs, tmp_path, file, breakage):
    await _start_and_check(make_app, isolated_dirs, tmp_path, FILES[file], breakage, demo=True)
