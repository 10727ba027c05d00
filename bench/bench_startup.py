"""Start-up benchmark: time until `tm-tui --demo` has written a complete first frame to a terminal,
footer key hints included, against a bare Textual app (header, text, footer) measured the same way.

    .venv/bin/python bench/bench_startup.py [--runs 15] [--tiny] [--json FILE]

Each run is a fresh Python process on a 120x40 pseudo-terminal. The benchmark reads what the app
writes to the terminal, strips the escape sequences and notes when the text of each landmark has
arrived: the app's content (first frame) and its footer key hints (complete frame). Times count
from the moment the process was spawned, so interpreter start-up and imports count. Nothing in the
app is instrumented: this is what a user sees. Runs alternate between the two apps so background
noise hits both alike; the ratio is the median over runs of each run's ratio to the bare app's run
beside it. Target: complete frame <= 1.25x the bare app.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import Figure, add_arguments, write_figures  # noqa: E402

TARGET_RATIO = 1.25
COLUMNS, ROWS = 120, 40
TIMEOUT_S = 60

# The baseline: header, one line of text, footer. It runs as `python -c`, importing nothing of ours.
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class BareApp(App):
    def compose(self):
        yield Header()
        yield Static("Hello from a bare Textual app.")
        yield Footer()

BareApp().run()
"""

# CSI (cursor moves, colours, modes), OSC (titles, clipboard) and two-byte escapes.
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_()][0-9A-Za-z]?"
)


@dataclass(frozen=True)
class Contender:
    name: str
    argv: list[str]
    content: bytes  # text of the first frame's body
    footer: tuple[bytes, ...]  # texts of the footer's key hints: all present = complete frame


@dataclass(frozen=True)
class Sample:
    content: float  # seconds from spawn until the content was written
    complete: float  # ... until content and every footer hint were written
    cpu: float  # CPU seconds the app had used by then (all its threads): its work, whatever the load


def landmark_times(contender: Contender, env: dict[str, str]) -> Sample:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(
        contender.argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    raw, text = b"", b""
    content_at: float | None = None
    complete_at: float | None = None
    try:
        while True:
            remaining = started + TIMEOUT_S - time.perf_counter()
            if remaining <= 0 or not select.select([master], [], [], remaining)[0]:
                raise RuntimeError(f"{contender.name}: no complete frame within {TIMEOUT_S} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            now = time.perf_counter()
            if not chunk:
                raise RuntimeError(f"{contender.name} exited before a complete frame: {text[-300:]!r}")
            raw += chunk
            text = _ESCAPES.sub(b"", raw)
            if content_at is None and contender.content in text:
                content_at = now - started
            if content_at is not None and all(hint in text for hint in contender.footer):
                complete_at = now - started
                break
    finally:
        proc.kill()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9
        os.close(master)
    return Sample(content_at, complete_at, usage.ru_utime + usage.ru_stime)


def hermetic_env(workdir: Path) -> dict[str, str]:
    """User dirs in a temporary directory: the benchmark never reads or writes the real configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORMESH_")}
    for var in ("HOME", "TM_CONFIG_HOME", "TM_TUI_CONFIG_DIR", "TM_TUI_DATA_DIR", "XDG_CONFIG_HOME"):
        (workdir / var).mkdir()
        env[var] = str(workdir / var)
    env["TERM"] = "xterm-256color"
    env.pop("TEXTUAL", None)  # no devtools
    # Both apps run from cached bytecode, as an installed package does (pip compiles on install).
    # A shell with PYTHONDONTWRITEBYTECODE would otherwise recompile tm-tui's sources on every
    # run while Textual's bytecode is already cached: that measures the shell, not the app. The
    # cache goes to the temporary directory, so nothing is written into the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per app (default 15)")
    add_arguments(parser)
    args = parser.parse_args()
    if args.tiny:
        args.runs = 1

    python = sys.executable
    bare = Contender("bare Textual app", [python, "-c", BARE_APP], b"Hello from a bare", (b"palette",))
    # The chat section's composer hints and the palette key sit at both ends of the footer.
    ours = Contender("tm-tui --demo", [python, "-m", "tm_tui", "--demo"], b"Message", (b"Send", b"palette"))
    contenders = [bare, ours]
    with tempfile.TemporaryDirectory(prefix="tm-tui-bench-") as tmp:
        env = hermetic_env(Path(tmp))
        for contender in contenders:  # warm the OS file cache and the .pyc files
            landmark_times(contender, env)
        samples: dict[str, list[Sample]] = {c.name: [] for c in contenders}
        for run in range(args.runs):
            for contender in contenders if run % 2 == 0 else contenders[::-1]:
                samples[contender.name].append(landmark_times(contender, env))

    print(f"time to the first frame in a {COLUMNS}x{ROWS} pty, {args.runs} runs each (median, min-max ms)")
    print(f"{'app':<20}{'content':>10}{'complete':>10}{'min':>7}{'max':>7}{'ratio':>8}{'CPU ms':>8}")
    figures = []
    bare_runs = samples[bare.name]
    for name, runs in samples.items():
        ratio = statistics.median(
            run.complete / base.complete for run, base in zip(runs, bare_runs, strict=True)
        )
        complete = [run.complete * 1000 for run in runs]
        content_ms = statistics.median(run.content for run in runs) * 1000
        cpu_ms = statistics.median(run.cpu for run in runs) * 1000
        print(
            f"{name:<20}{content_ms:>10.0f}{statistics.median(complete):>10.0f}"
            f"{min(complete):>7.0f}{max(complete):>7.0f}{ratio:>8.2f}{cpu_ms:>8.0f}"
        )
        if name == ours.name:
            figures.append(
                Figure(
                    "first complete frame (footer included), tm-tui --demo",
                    statistics.median(complete),
                    "ms",
                    baseline=statistics.median(base.complete for base in bare_runs) * 1000,
                    baseline_name=bare.name,
                    goal=f"<= {TARGET_RATIO}x",
                    paired_ratio=ratio,
                )
            )
            figures.append(
                Figure(
                    "CPU time until then, tm-tui --demo",
                    cpu_ms,
                    "ms",
                    baseline=statistics.median(base.cpu for base in bare_runs) * 1000,
                    baseline_name=bare.name,
                    paired_ratio=statistics.median(
                        run.cpu / base.cpu for run, base in zip(runs, bare_runs, strict=True)
                    ),
                )
            )
            figures.append(Figure("first frame with content, tm-tui --demo", content_ms, "ms"))
    ratio = figures[0].ratio or 0.0
    print(
        f"complete frame {ratio:.2f}x the bare app: {'meets' if ratio <= TARGET_RATIO else 'misses'} {TARGET_RATIO}x"
    )
    write_figures(args, figures)


if __name__ == "__main__":
    main()
