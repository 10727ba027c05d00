"""The source type-checks (mypy, configured in pyproject.toml): CI fails on a new error, and every
`# type: ignore` that remains names its error code and says why on the same line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `# type: ignore[code]  # why`: the reason is a second comment after the code.
EXPLAINED_IGNORE = re.compile(r"# type: ignore\[[a-z-]+(, *[a-z-]+)*\]  # \S")


def test_mypy_finds_nothing(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def unexplained_ignores(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if "type: ignore" in line and not EXPLAINED_IGNORE.search(line)
    ]


def test_every_type_ignore_says_why():
    found = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for line in unexplained_ignores(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_ignore_check_tells_explained_from_bare():
    assert unexplained_ignores("x = f(y)  # type: ignore[arg-type]  # y is checked above") == []
    assert unexplained_ignores("x = f(y)  # type: ignore[arg-type]") != []
    assert unexplained_ignores("x = f(y)  # type: ignore") != []
