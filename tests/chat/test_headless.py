"""The chat core and the history store stay free of UI code (the chat screen builds on them)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import tm_tui.store.history
store_modules = set(sys.modules)
import tm_tui.chat.code_snippets, tm_tui.chat.conversation, tm_tui.chat.export, tm_tui.chat.presets
print(sorted({m.split('.')[0] for m in store_modules} & {'textual', 'pydantic', 'httpx'}))
print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))
"""


def test_no_textual_in_chat_core_and_only_stdlib_in_the_store() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    store_third_party, ui_modules = done.stdout.splitlines()
    assert store_third_party == "[]"
    assert ui_modules == "[]"
