"""The API layer is headless: importing all of it must not pull in Textual or the emulator."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json, pkgutil, sys
import tm_tui.api
names = sorted(m.name for m in pkgutil.walk_packages(tm_tui.api.__path__, "tm_tui.api."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_api_imports_without_textual():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert {
        "tm_tui.api.transport",
        "tm_tui.api.inference",
        "tm_tui.api.control_plane",
        "tm_tui.api.login",
    } <= set(report["modules"])
    loaded = report["loaded"]
    forbidden = [
        m
        for m in loaded
        if m.split(".")[0] == "textual" or m.startswith(("tm_tui.screens", "tm_tui.emulator"))
    ]
    assert forbidden == []
