"""Start-up benchmark: time to first paint of `tm-tui --demo` against a bare Textual app.

Both run the same way in the same session: a fresh Python process on a 120x40 pseudo-terminal,
with `TM_TUI_FIRST_PAINT_FILE` set so the app writes the wall-clock time of its first frame
(Textual's `Ready` event) and exits. Time to first paint = that time minus the moment the process
was spawned, so interpreter start-up and imports count. Runs alternate between the two apps so
background noise hits both alike. Target: median ratio <= 1.25.

    .venv/bin/python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

FIRST_PAINT_ENV = "TM_TUI_FIRST_PAINT_FILE"  # same hook as tm_tui.app
TARGET_RATIO = 1.25
COLUMNS, ROWS = 120, 40


# The baseline: header, footer and one line of text, with the same first-frame hook. It runs as
# `python -c` so it carries no import of this script.
BARE_APP = f"""
import os, time
from textual.app import App
from textual.widgets import Footer, Header, Static

class BareApp(App):
    def compose(self):
        yield Header()
        yield Static("Hello from a bare Textual app.")
        yield Footer()

    def on_ready(self):
        with open(os.environ["{FIRST_PAINT_ENV}"], "w") as handle:
            handle.write(repr(time.time()))
        self.exit()

BareApp().run()
"""


def time_to_first_paint(argv: list[str], env: dict[str, str], workdir: Path) -> float:
    marker = workdir / "first-paint"
    marker.unlink(missing_ok=True)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    # Drain the terminal output so the child never blocks on a full pty buffer.
    drain = threading.Thread(target=_drain, args=(master,), daemon=True)
    started = time.time()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, FIRST_PAINT_ENV: str(marker)},
        start_new_session=True,
    )
    os.close(slave)
    drain.start()
    try:
        code = proc.wait(timeout=60)
    finally:
        drain.join(timeout=5)
        os.close(master)
    if code != 0 or not marker.exists():
        raise RuntimeError(f"{' '.join(argv)} exited with {code} before its first frame")
    return float(marker.read_text()) - started


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # EIO once the child has closed the terminal
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per app (default 15)")
    args = parser.parse_args()

    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="tm-tui-bench-") as tmp:
        workdir = Path(tmp)
        # Hermetic user dirs: the benchmark never reads or writes the real configuration.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORMESH_")}
        for var in ("HOME", "TM_CONFIG_HOME", "TM_TUI_CONFIG_DIR", "TM_TUI_DATA_DIR", "XDG_CONFIG_HOME"):
            (workdir / var).mkdir()
            env[var] = str(workdir / var)
        env["TERM"] = env.get("TERM") or "xterm-256color"
        # Both apps run from cached bytecode, as an installed package does (pip compiles on install).
        # A shell with PYTHONDONTWRITEBYTECODE would otherwise recompile tm-tui's sources on every
        # run while Textual's bytecode is already cached: that measures the shell, not the app. The
        # cache goes to the temporary directory, so nothing is written into the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
        contenders = {
            "bare Textual app": [python, "-c", BARE_APP],
            "tm-tui --demo": [python, "-m", "tm_tui", "--demo"],
        }
        for argv in contenders.values():  # warm the OS file cache and .pyc files
            time_to_first_paint(argv, env, workdir)
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.runs):
            for name, argv in contenders.items():
                samples[name].append(time_to_first_paint(argv, env, workdir))

    baseline = statistics.median(samples["bare Textual app"])
    print(f"time to first paint, {args.runs} runs each, {COLUMNS}x{ROWS} pty")
    print(f"{'app':<20} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:<20} {median * 1000:>10.0f} {min(values) * 1000:>8.0f} "
            f"{max(values) * 1000:>8.0f} {median / baseline:>7.2f}"
        )
    ratio = statistics.median(samples["tm-tui --demo"]) / baseline
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"ratio {ratio:.2f} {verdict} the target of {TARGET_RATIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
