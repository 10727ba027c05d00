"""Smoke walk in a real pseudo-terminal: `python -m tm_tui --demo` as a user starts it, every section by
its F-key, one chat turn, then ctrl+q. Fails on a traceback or an early exit.

Pilot (`App.run_test`) skips the terminal driver, the key parser and the process boundary; this test
does not. The help screen (F1) names the section it was opened on ("On this screen: Models"), which
is how the walk knows each key landed. Waits are on output, with generous limits for a loaded machine.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator

import pytest

import tm_tui
from tm_tui.screens.sections import SECTIONS

COLUMNS, ROWS = 120, 40
WAIT_S = 60.0  # per expected output: far above the normal second or two, for a loaded machine
# xterm's function keys, as a terminal sends them.
KEYS = {
    "f1": b"\x1bOP", "f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS",
    "f5": b"\x1b[15~", "f6": b"\x1b[17~", "f7": b"\x1b[18~", "f8": b"\x1b[19~",
    "f9": b"\x1b[20~", "f10": b"\x1b[21~", "f11": b"\x1b[23~", "f12": b"\x1b[24~",
    "enter": b"\r", "ctrl+q": b"\x11",
}  # fmt: skip
# Escape sequences (CSI, OSC, two-byte) are dropped so only the text on screen is searched.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b.")
CRASH_MARKERS = ("Traceback", "Error:", "Exception")


class Terminal:
    """A child process on a pty of a fixed size; `expect` waits for text to show up on screen."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.fd = master
        self.output = bytearray()
        self.seen = 0  # `expect` searches the text after what it matched last
        self.closed = False

    def _read(self, timeout: float) -> None:
        if self.closed:
            time.sleep(min(timeout, 0.05))
            return
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if chunk:
                self.output += chunk
            else:
                self.closed = True

    @property
    def text(self) -> str:
        return ESCAPES.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    def expect(self, text: str, timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            found = self.text.find(text, self.seen)
            if found >= 0:
                self.seen = found + len(text)
                return
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} did not show within {timeout:.0f} s; last text:\n{self.tail()}"
                )
            self._read(0.1)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            self.drain()
            raise AssertionError(f"tm-tui exited early ({self.process.returncode}):\n{self.tail(4000)}")
        crash = next((m for m in CRASH_MARKERS if m in self.text), None)
        assert crash is None, f"{crash!r} on screen:\n{self.tail(4000)}"

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.fd, KEYS.get(key, key.encode()))

    def quiet(self, quiet_s: float = 0.3, timeout: float = WAIT_S) -> None:
        """Wait until the screen stops changing (nothing drawn for `quiet_s`): the keys are handled."""
        deadline = time.monotonic() + timeout
        last, size = time.monotonic(), len(self.output)
        while time.monotonic() - last < quiet_s and time.monotonic() < deadline:
            self._read(0.05)
            if len(self.output) != size:
                last, size = time.monotonic(), len(self.output)
        self.check_alive()

    def drain(self, timeout: float = 1.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._read(0.05)

    def tail(self, size: int = 1500) -> str:
        return self.text[-size:]

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.fd)


@pytest.fixture
def terminal(isolated_dirs) -> Iterator[Terminal]:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    source = os.path.dirname(tm_tui.__path__[0])  # this checkout's package, whatever the cwd
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    shell = Terminal([sys.executable, "-m", "tm_tui", "--demo"], env)
    try:
        yield shell
    finally:
        shell.close()


def test_every_section_and_a_chat_turn_in_a_real_terminal(terminal):
    terminal.expect("control plane logged in")  # the demo session is up (first frame, then the session)
    terminal.expect("Message… (Enter sends)")  # the chat prompt, mounted after the first frame
    for section in (*SECTIONS[1:], SECTIONS[0]):  # every section, ending back on the first (Chat)
        terminal.press(section.key)
        terminal.quiet()
        terminal.press("f1")
        terminal.expect(f"On this screen: {section.title}")
        terminal.press("f1")  # closes help; a bare Esc would join the next key (alt+<key>)
        terminal.quiet()
    terminal.press(*"Say hello in five words", "enter")
    terminal.expect("Say hello in five words")
    terminal.expect("finish stop")  # the answer's metrics line: the turn streamed and finished
    terminal.check_alive()
    terminal.press("ctrl+q")
    deadline = time.monotonic() + WAIT_S
    while terminal.process.poll() is None and time.monotonic() < deadline:
        terminal._read(0.1)
    terminal.drain()
    assert terminal.process.returncode == 0, terminal.tail(4000)
    crash = next((m for m in CRASH_MARKERS if m in terminal.text), None)
    assert crash is None, terminal.tail(4000)
