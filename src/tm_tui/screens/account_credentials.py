"""Credential helpers of the Account section, free of widgets: the table of which credentials are set
and where from, checking an inference key on the active surface and making it the profile's key, and
opening the login page."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from tm_tui.config.secrets import mask
from tm_tui.session import SessionChange
from tm_tui.text_safety import sanitize

if TYPE_CHECKING:
    from tm_tui.app import TmApp
    from tm_tui.session import Session

CREDENTIAL_ROWS = ("inference API key", "control-plane token", "on-demand user id")
NOT_SET = "not set"


def credentials_table(session: Session) -> Table:
    """One row per credential: set (with where it came from) or not."""
    rows = {row.name: row for row in session.settings.describe()}
    table = Table(box=None, expand=True, padding=(0, 1), pad_edge=False, show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for name in CREDENTIAL_ROWS:
        row = rows[name]
        if row.value == NOT_SET:
            table.add_row(Text(name), Text("✗ not set", "yellow"))
            continue
        table.add_row(Text(name), Text.assemble(("✓ ", "green"), sanitize(row.value)))
        # where it came from, on its own line: paths can be long
        table.add_row("", Text("from " + sanitize(row.source), "dim"))
    return table


def open_in_gui_browser(url: str, env: Mapping[str, str]) -> bool:
    """Open `url` in a graphical browser; False when there is none. A console browser (lynx, w3m)
    would take over the terminal the app is drawing on, so it is never used."""
    if sys.platform not in ("darwin", "win32") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # how console browsers are registered
        return False
    return bool(browser.open(url, new=2))


def saved_where(path: Path | None) -> str:
    return f"saved to {path}" if path is not None else "kept in memory for this demo run"


async def activate_key(app: TmApp, session: Session, key: str) -> str:
    """Check `key` on the active surface, then make it the profile's inference key (the app saves it
    and rebuilds the clients); returns what to tell the user. Raises `TmError` / `ConfigFileError`,
    having saved nothing."""
    from tm_tui.config import save_inference_key

    surface = await session.probe_inference_key(key)
    change = SessionChange(save=partial(save_inference_key, session.settings, key))
    path = await app.change_session(change)
    where = "serverless" if surface == "serverless" else "on-demand"
    return f"✓ {mask(key)} works on {where}; {saved_where(path)}."


def active_key(session: Session) -> str | None:
    key = session.settings.inference_api_key.value
    return key.reveal() if key else None
