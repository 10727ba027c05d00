"""Atomic file writes: a temp file in the target's directory, fsync, then one rename.

A reader never sees a half-written file, and a crash leaves either the old or the new content.
`write_private` is for anything holding a secret: the temp file is 0600 *before* any byte is written
and parent directories it creates are 0700.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tm_tui.config.errors import ConfigFileError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
PUBLIC_FILE_MODE = 0o644


def write_private(path: Path, data: str | bytes) -> None:
    """Atomically write `data` to `path` with mode 0600 (parents created 0700)."""
    _write_atomic(path, data, PRIVATE_FILE_MODE, PRIVATE_DIR_MODE)


def write_public(path: Path, data: str | bytes) -> None:
    """Atomically write a file that holds no secret (mode 0644, parents 0700)."""
    _write_atomic(path, data, PUBLIC_FILE_MODE, PRIVATE_DIR_MODE)


def _write_atomic(path: Path, data: str | bytes, file_mode: int, dir_mode: int) -> None:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        _make_dirs(path.parent, dir_mode)
        if path.is_dir():
            raise ConfigFileError(path, "is a directory, expected a file")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ConfigFileError(path, f"cannot write: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, file_mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise ConfigFileError(path, f"cannot write: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


def _make_dirs(directory: Path, mode: int) -> None:
    # Path.mkdir(parents=True) ignores `mode` for intermediate dirs, so create each one ourselves.
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for new_dir in reversed(missing):
        new_dir.mkdir(mode=mode, exist_ok=True)
        new_dir.chmod(mode)  # mkdir's mode is filtered by the umask


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform/filesystem allows opening a directory.
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
