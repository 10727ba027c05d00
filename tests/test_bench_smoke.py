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
    expected = {
        "bench_client",
        "bench_startup",
        "bench_stream",
        "bench_billing",
        "bench_support",
        "bench_memory",
    }
    assert expected <= {script.stem for script in SCRIPTS}


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


@pytest.mark.timeout(120)
def test_runner_with_only_keeps_the_other_benchmarks_figures(tmp_path: Path, isolated_dirs) -> None:
    """`--only history` replaces bench_history's figures and keeps every other one, each benchmark
    with the date and load of its own last run."""
    gone = {
        "bench": "bench_gone",
        "figure": "an older figure",
        "unit": "ms",
        "value": 7.0,
        "values": [7.0, 8.0],
        "baseline_name": "base",
        "baseline": 14.0,
        "ratio": 0.5,
        "ratios": [0.5, 0.6],
        "goal": "< 10 ms",
    }
    stale = {**gone, "bench": "bench_history", "figure": "load a 5-turn conversation from history"}
    (tmp_path / "results.json").write_text(json.dumps({
        "date": "2026-01-01 00:00 UTC", "runs": 2, "load_average": ["1.0 1.0 1.0"], "figures": [gone, stale],
    }))  # fmt: skip
    proc = run([str(BENCH / "run_all.py"), "--tiny", "--only", "history", "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads((tmp_path / "results.json").read_text())["figures"]
    assert [f["bench"] for f in figures].count("bench_history") >= 1
    assert next(f for f in figures if f["bench"] == "bench_gone")["values"] == [7.0, 8.0]
    assert 7.0 not in next(f for f in figures if f["bench"] == "bench_history")["values"]
    report = (tmp_path / "RESULTS.md").read_text()
    assert "| an older figure | 7.5 ms (7–8 ms) | base: 14.0 ms | 0.55x (0.50x–0.60x) | < 10 ms |" in report
    assert "`bench_gone`: 2026-01-01 00:00 UTC, 2 run(s), load 1.0 1.0 1.0" in report
