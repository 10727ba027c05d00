"""Save an SVG screenshot of every section, taken against the built-in emulator.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--size 120x40]

Runs `tm-tui --demo` headless (the emulator starts in-process), opens each registered section with
its palette action, waits until every worker is done and saves `<out>/<section>.svg`, plus
`help.svg`. User directories point at a temp dir, so no real settings are read or written and only
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
# More shots of a section: (keys pressed there, file name).
EXTRA_SHOTS = {"billing": (("2", "billing-usage"), ("3", "billing-transactions"))}


async def settle(pilot, rounds: int = 100) -> None:
    from textual.worker import WorkerFailed, WorkerState

    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerFailed):  # the app shows it; the screenshot will too
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


async def take(out: Path, size: tuple[int, int]) -> list[Path]:
    from tm_tui.app import TmApp
    from tm_tui.cli import LaunchOptions
    from tm_tui.screens.sections import SECTIONS

    saved: list[Path] = []
    app = TmApp(LaunchOptions(demo=True))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for section in SECTIONS:
            await app.run_action(f"open_section('{section.id}')")
            await settle(pilot)
            saved.append(Path(app.save_screenshot(f"{section.id}.svg", path=str(out))))
            for keys, name in EXTRA_SHOTS.get(section.id, ()):
                await pilot.press(*keys)
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
