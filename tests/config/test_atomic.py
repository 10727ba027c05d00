import stat
from pathlib import Path

import pytest

from tm_tui.config.atomic import write_private, write_public
from tm_tui.config.errors import ConfigFileError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_private_creates_0700_parents_and_0600_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "secret.json"
    write_private(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700


def test_write_private_tightens_an_existing_loose_file(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600


def test_write_public_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    write_public(target, "a = 1\n")
    write_public(target, "a = 2\n")
    assert target.read_text() == "a = 2\n"
    assert mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_directory_in_the_way_is_a_readable_error(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    target.mkdir()
    with pytest.raises(ConfigFileError, match="auth.json: is a directory"):
        write_private(target, "{}")
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


def test_permission_denied_is_a_readable_error_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    # Simulated: the suite may run as root, for whom chmod does not deny anything.
    target = tmp_path / "auth.json"
    target.write_text("old")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(ConfigFileError, match="auth.json: cannot write: Permission denied"):
        write_private(target, "new")
    assert target.read_text() == "old"


def test_failed_rename_removes_the_temp_file(tmp_path: Path, monkeypatch) -> None:
    def broken_replace(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(ConfigFileError, match="Input/output error"):
        write_private(tmp_path / "x.json", "{}")
    assert list(tmp_path.iterdir()) == []
