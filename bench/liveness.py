"""What a running app keeps alive: its running timers and workers, and the process's resident memory.

Used by bench_memory.py and by tests/tui/test_section_cycles.py (a section switched to and away from
must not leave a timer or a worker running for each visit). Not a benchmark (no `bench_` prefix).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from textual.app import App
from textual.worker import WorkerState


def resident_mib() -> float:
    """The process's resident set size now (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _nodes(app: App[Any]):
    yield app
    for stack in app._screen_stacks.values():  # every mode's screens, shown or not
        for screen in stack:
            yield from screen.walk_children(with_self=True)


def running_timers(app: App[Any]) -> Counter[str]:
    """Timers that will fire (not stopped, not paused), by the class of the node that owns them."""
    found: Counter[str] = Counter()
    for node in _nodes(app):
        for timer in list(node._timers):
            task = timer._task
            if task is not None and not task.done() and timer._active.is_set():
                found[type(node).__name__] += 1
    return found


def running_workers(app: App[Any]) -> Counter[str]:
    """Workers pending or running, by their group and name."""
    return Counter(
        f"{worker.group}:{worker.name}"
        for worker in app.workers
        if worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
    )
