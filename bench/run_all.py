"""Run every benchmark (`bench/bench_*.py`) and print one table: figure, value, baseline, ratio, goal.

    ./dev bench                       # every benchmark once
    .venv/bin/python bench/run_all.py [--runs 3] [--only client,startup] [--tiny] [--no-write]
    .venv/bin/python bench/run_all.py --readme   # copy RESULTS.md's table into README.md only

Each script is run in its own process with `--json FILE` (the convention in bench/results.py; a new
`bench/bench_NAME.py` that follows it is picked up with nothing to register). With `--runs N` the
whole set runs N times, one after the other, and each figure is reported as its median with the
range over the runs. Unless `--no-write` (or `--tiny`, the smoke test's size), the figures go to
bench/results.json and bench/RESULTS.md with the machine, the date and the load average: absolute
times move with the load of a shared machine, ratios to a baseline measured in the same run much
less, which is why every figure that can have a baseline has one. With `--only`, the figures of the
benchmarks not run are kept from results.json, each benchmark with the date, runs and load of its
own last run; the README's performance table (between its `bench-table` markers) is rewritten
from the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
RESULTS_JSON, RESULTS_MD = "results.json", "RESULTS.md"  # in bench/, or in --out DIR
README = HERE.parent / "README.md"
README_BEGIN, README_END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"


@dataclass
class Row:
    """One figure over the runs."""

    bench: str
    figure: str
    unit: str
    baseline_name: str = ""
    goal: str = ""
    values: list[float] = field(default_factory=list)
    baselines: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    @classmethod
    def from_json(cls, item: dict) -> Row:
        """A row kept from results.json (a benchmark not run this time)."""
        baselines = item.get("baselines")
        if baselines is None:  # written before the baselines were kept
            baselines = [] if item.get("baseline") is None else [item["baseline"]]
        return cls(
            item["bench"],
            item["figure"],
            item["unit"],
            item.get("baseline_name", ""),
            item.get("goal", ""),
            list(item["values"]),
            list(baselines),
            list(item.get("ratios") or []),
        )

    def add(self, item: dict) -> None:
        self.values.append(item["value"])
        if item.get("baseline") is not None:
            self.baselines.append(item["baseline"])
        if item.get("ratio") is not None:
            self.ratios.append(item["ratio"])

    def as_json(self) -> dict[str, object]:
        return {
            "bench": self.bench,
            "figure": self.figure,
            "unit": self.unit,
            "value": statistics.median(self.values),
            "values": self.values,
            "baseline_name": self.baseline_name,
            "baseline": statistics.median(self.baselines) if self.baselines else None,
            "baselines": self.baselines,
            "ratio": statistics.median(self.ratios) if self.ratios else None,
            "ratios": self.ratios,
            "goal": self.goal,
        }


def discover(only: set[str] | None) -> list[Path]:
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    return scripts


def run_script(script: Path, tiny: bool, workdir: Path, timeout: float) -> tuple[list[dict], str | None]:
    """The figures a script wrote, or an error message (its output's tail) if it failed."""
    out = workdir / f"{script.stem}.json"
    out.unlink(missing_ok=True)
    argv = [sys.executable, str(script), "--json", str(out), *(["--tiny"] if tiny else [])]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # a hung benchmark is reported, the others still run
        sys.stdout.write(
            exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        )
        return [], f"no result within {timeout:.0f} s"
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0 or not out.exists():
        return [], (proc.stderr or proc.stdout).strip()[-2000:] or f"exit status {proc.returncode}"
    return json.loads(out.read_text(encoding="utf-8")), None


def machine() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import textual

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "textual": textual.__version__,
    }


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".strip()


def span(values: list[float], unit: str = "", ratio: bool = False) -> str:
    if not values:
        return ""
    show = (lambda v: f"{v:.2f}x") if ratio else (lambda v: fmt(v, unit))
    median = statistics.median(values)
    if len(values) == 1:
        return show(median)
    return f"{show(median)} ({show(min(values)).removesuffix(' ' + unit)}–{show(max(values))})"


def table(rows: list[Row]) -> list[str]:
    head = ("figure", "value", "baseline", "ratio", "goal")
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in rows:
        baseline = f"{row.baseline_name}: {span(row.baselines, row.unit)}" if row.baselines else ""
        cells = (row.figure, span(row.values, row.unit), baseline, span(row.ratios, ratio=True), row.goal)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def previous(out: Path, ran: set[str]) -> tuple[list[Row], dict[str, dict], dict[str, str]]:
    """From results.json: the rows, run info and errors of the benchmarks not in `ran`."""
    try:
        old = json.loads((out / RESULTS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], {}, {}
    rows = [Row.from_json(item) for item in old.get("figures", []) if item.get("bench") not in ran]
    kept = {row.bench for row in rows}
    default = {
        "date": old.get("date", "?"),
        "runs": old.get("runs", "?"),
        "load_average": old.get("load_average", []),
    }
    benches = {name: old.get("benches", {}).get(name, default) for name in kept}
    errors = {name: error for name, error in old.get("errors", {}).items() if Path(name).stem not in ran}
    return rows, benches, errors


def readme_table(lines: list[str]) -> bool:
    """Replaces the README's table between its markers; False if it has no markers."""
    text = README.read_text(encoding="utf-8")
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        return False
    README.write_text(
        text[: begin + len(README_BEGIN)] + "\n" + "\n".join(lines) + "\n" + text[end:], encoding="utf-8"
    )
    return True


def results_table() -> list[str]:
    """The table of RESULTS.md as it is (for `--readme`)."""
    return [
        line for line in (HERE / RESULTS_MD).read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]


def write_results(
    out: Path, rows: list[Row], runs: int, started: str, loads: list[str], errors: dict[str, str], merge: bool
) -> None:
    info = machine()
    ran = {row.bench for row in rows} | {Path(name).stem for name in errors}
    benches = {name: {"date": started, "runs": runs, "load_average": loads} for name in ran}
    if merge:  # --only: what was not run keeps its last figures
        kept, kept_benches, kept_errors = previous(out, ran)
        rows, benches, errors = kept + rows, kept_benches | benches, kept_errors | errors
        rows.sort(key=lambda row: row.bench)
    (out / RESULTS_JSON).write_text(
        json.dumps(
            {"date": started, "runs": runs, "machine": info, "load_average": loads, "benches": benches,
             "figures": [row.as_json() for row in rows], "errors": errors},
            indent=2,
        ) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run_all.py {' '.join(sys.argv[1:])}` (`./dev bench`) on {started}.",
        "",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['system']}",
        f"- Python {info['python']}, Textual {info['textual']}",
        "- each benchmark's last run: date, runs, load average (1, 5, 15 min) at the start of each run:",
        *(
            f"  - `{name}`: {b['date']}, {b['runs']} run(s), load {'; '.join(b['load_average']) or '?'}"
            for name, b in sorted(benches.items())
        ),
        "",
        "Each figure: median over the runs, then (min–max). Ratios are to the baseline measured in",
        "the same run, interleaved with it; on a loaded machine they are the figures to compare.",
        "",
        *table(rows),
        "",
    ]
    if errors:
        lines += [
            "Failed:",
            "",
            *(f"- `{name}`: {message.splitlines()[-1]}" for name, message in errors.items()),
            "",
        ]
    (out / RESULTS_MD).write_text("\n".join(lines), encoding="utf-8")
    if out == HERE:  # the README's table is the committed results'
        readme_table(table(rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="run the whole set N times (ranges over runs)")
    parser.add_argument("--only", help="comma-separated names, e.g. client,startup (bench_NAME.py)")
    parser.add_argument(
        "--tiny", action="store_true", help="smallest size: a smoke test, timings meaningless"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.json/RESULTS.md")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds one benchmark may take (default 900)"
    )
    parser.add_argument(
        "--out", type=Path, help="write results.json and RESULTS.md there (default bench/; also with --tiny)"
    )
    parser.add_argument("--readme", action="store_true", help="only copy RESULTS.md's table into README.md")
    args = parser.parse_args()
    if args.readme:
        return 0 if readme_table(results_table()) else 1

    scripts = discover(set(args.only.split(",")) if args.only else None)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows: dict[tuple[str, str], Row] = {}
    errors: dict[str, str] = {}
    loads: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tm-tui-bench-") as tmp:
        for run in range(args.runs):
            loads.append(load_average())
            for script in scripts:
                print(f"== {script.name} (run {run + 1} of {args.runs}, load {loads[-1]})", flush=True)
                figures, error = run_script(script, args.tiny, Path(tmp), args.timeout)
                if error is not None:
                    errors[script.name] = error
                    print(error, file=sys.stderr)
                for item in figures:
                    key = (script.stem, item["figure"])
                    row = rows.setdefault(
                        key,
                        Row(
                            script.stem,
                            item["figure"],
                            item["unit"],
                            item.get("baseline_name", ""),
                            item.get("goal", ""),
                        ),
                    )
                    row.add(item)

    print()
    print("\n".join(table(list(rows.values()))))
    if not (args.no_write or (args.tiny and args.out is None)):
        out = (args.out or HERE).resolve()
        write_results(out, list(rows.values()), args.runs, started, loads, errors, merge=bool(args.only))
        print(f"\nwritten: {out / RESULTS_JSON}, {out / RESULTS_MD}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
