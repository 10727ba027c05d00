"""Every benchmark runs once at its smallest size and writes its figures (bench/results.py's
convention), and the runner tabulates them. No timing is asserted: timings are the benchmarks' job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))
KEYS = {"figure", "value", "unit", "baseline", "baseline_name", "ratio", "goal"}


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env, timeout=110)


def test_every_benchmark_is_found() -> None:
    assert {"bench_client", "bench_startup", "bench_stream"} <= {script.stem for script in SCRIPTS}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_benchmark_runs_tiny_and_writes_figures(script: Path, tmp_path: Path, isolated_dirs) -> None:
    out = tmp_path / "figures.json"
    proc = run([str(script), "--tiny", "--json", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures and all(set(figure) >= KEYS for figure in figures)
    assert all(isinstance(figure["value"], int | float) for figure in figures)


@pytest.mark.timeout(120)
def test_runner_prints_one_table_and_writes_nothing_at_tiny_size(isolated_dirs) -> None:
    before = {
        path: path.stat().st_mtime for path in (BENCH / "results.json", BENCH / "RESULTS.md") if path.exists()
    }
    proc = run([str(BENCH / "run_all.py"), "--tiny", "--only", "history"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| figure | value | baseline | ratio | goal |" in proc.stdout
    assert "load a 5-turn conversation from history" in proc.stdout
    assert {path: path.stat().st_mtime for path in before} == before
