"""The emulator is an independent implementation of the wire reference: it shares no code with the
client. Nothing in `tm_tui.emulator` imports from `tm_tui` outside it — at module level or inside a
function — and importing all of it loads no other `tm_tui` module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import tm_tui.emulator

EMULATOR = Path(tm_tui.emulator.__file__).parent


def imported_names(path: Path) -> list[str]:
    """Every module `path` imports, wherever the import statement is."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def test_no_emulator_module_imports_the_rest_of_tm_tui():
    outside = {
        f"{path.relative_to(EMULATOR)}: {name}"
        for path in EMULATOR.rglob("*.py")
        for name in imported_names(path)
        if name.split(".")[0] == "tm_tui" and name != "tm_tui" and not name.startswith("tm_tui.emulator")
    }
    assert sorted(outside) == []


def test_the_check_sees_a_lazy_import(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from tm_tui.api.errors import TmError\n")
    assert "tm_tui.api.errors" in imported_names(module)


PROBE = """
import importlib, json, pkgutil, sys
import tm_tui.emulator
for info in pkgutil.walk_packages(tm_tui.emulator.__path__, "tm_tui.emulator."):
    if not info.name.endswith("__main__"):  # that one runs the emulator
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("tm_tui."))))
"""


def test_importing_the_whole_emulator_loads_nothing_else_of_tm_tui():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    assert "tm_tui.emulator.server" in loaded
    assert [m for m in loaded if not m.startswith("tm_tui.emulator")] == []
