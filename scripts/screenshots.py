"""Save an SVG screenshot of every section, taken against the built-in emulator.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 120x40]

Runs `tm-tui --demo` headless (the emulator starts in-process), opens each registered section with
its palette action, waits until every worker is done and saves `<out>/<section>.svg` (and the
`EXTRA_VIEWS` of a section, e.g. Account's tabs), plus `help.svg`. User directories point at a temp dir, so no real settings are read or written and only
the emulator's demo credentials exist (masked wherever the app shows them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# More views of a section: (file name, action run on the section's screen).
EXTRA_VIEWS = {
    "account": (("account-keys", "show_tab('keys')"), ("account-activity", "show_tab('activity')")),
    "billing": (("billing-usage", "tab('usage')"), ("billing-transactions", "tab('transactions')")),
}


async def settle(pilot, rounds: int = 100) -> None:
    from textual.worker import WorkerFailed, WorkerState

    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerFailed):  # the app shows it; the screenshot will too
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


TOKENIZER_SAMPLE = (
    "Tokenizers split text into pieces:\n  an emoji 🦜 and CJK 日本語 become byte-level tokens,\n"
    "\twhile common words stay whole. Move the cursor with ←/→."
)


async def show_tokenizer(pilot) -> None:
    """The Tokenizer with a sample text tokenized and the cursor on a split emoji."""
    from textual.widgets import TextArea

    screen = pilot.app.screen
    screen.query_one("#tok-text", TextArea).load_text(TOKENIZER_SAMPLE)
    await pilot.press("ctrl+t")
    await settle(pilot)
    view = screen.query_one("#tok-text-panel-view")
    view.focus()
    emoji = next(span.index for span in view.layout_.spans if not span.whole)
    await pilot.press(*["right"] * emoji)
    await settle(pilot)


# Sections that show nothing until used get a small scene first.
SCENES = {"tokenizer": show_tokenizer}


async def take(out: Path, size: tuple[int, int]) -> list[Path]:
    from tm_tui.app import TmApp
    from tm_tui.screens.sections import SECTIONS
    from tm_tui.state import LaunchOptions

    saved: list[Path] = []
    app = TmApp(LaunchOptions(demo=True))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for section in SECTIONS:
            await app.run_action(f"open_section('{section.id}')")
            await settle(pilot)
            if section.id in SCENES:
                await SCENES[section.id](pilot)
            saved.append(Path(app.save_screenshot(f"{section.id}.svg", path=str(out))))
            for name, action in EXTRA_VIEWS.get(section.id, ()):
                await app.run_action(action, app.screen)
                await settle(pilot)
                saved.append(Path(app.save_screenshot(f"{name}.svg", path=str(out))))
        await app.run_action("help")
        await settle(pilot)
        saved.append(Path(app.save_screenshot("help.svg", path=str(out))))
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--size", default="120x40", help="COLUMNSxROWS (default 120x40)")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tm-tui-shots-") as tmp:
        for var in ("HOME", "TM_CONFIG_HOME", "TM_TUI_CONFIG_DIR", "TM_TUI_DATA_DIR"):
            os.environ[var] = str(Path(tmp) / var)
        for var in [name for name in os.environ if name.startswith("TENSORMESH_")]:
            del os.environ[var]
        for path in asyncio.run(take(args.out.resolve(), (columns, rows))):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
