"""The convention every `bench/bench_*.py` follows so `./dev bench` (bench/run_all.py) can run it.

A benchmark script:

* accepts `--tiny`: the smallest run that still exercises every code path (the test-suite's smoke
  test runs each script once this way; it asserts nothing about time);
* accepts `--json FILE`: besides its own human-readable table, writes its figures to FILE as a
  JSON list of `Figure` objects (`add_arguments` adds both flags, `write_figures` writes the file);
* measures each figure against a baseline run interleaved with it in the same process, so the
  ratio stays meaningful on a loaded machine where absolute times are not.

    from results import Figure, add_arguments, write_figures   # bench/ is on sys.path for a script
    add_arguments(parser)
    ...
    write_figures(args, [Figure("open 200 turns", 212.0, "ms", baseline=95.0, baseline_name="...",
                                goal="< 300 ms")])
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    figure: str  # what was measured, e.g. "chat SSE decoding, InferenceClient.stream_chat"
    value: float
    unit: str  # "ms", "chunks/s", "MB", ...
    baseline: float | None = None  # the same measurement of the reference, same run
    baseline_name: str = ""
    goal: str = ""  # human-readable target, e.g. "ratio >= 0.9"
    higher_is_better: bool = False
    # The median of the ratios of runs made side by side, when the benchmark pairs them: steadier
    # on a loaded machine than the ratio of the two medians, which is the default.
    paired_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        return self.value / self.baseline if self.baseline else None

    def as_json(self) -> dict[str, object]:
        fields = asdict(self)
        del fields["paired_ratio"]
        return {**fields, "ratio": self.ratio}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tiny", action="store_true", help="smallest run (smoke test; timings meaningless)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures to FILE as JSON")


def write_figures(args: argparse.Namespace, figures: list[Figure]) -> None:
    if args.json is not None:
        args.json.write_text(json.dumps([f.as_json() for f in figures], indent=2) + "\n", encoding="utf-8")
