"""A review benchmark run's ratios recomputed against the floors of another run of the same PRs.

``python evals/bench/ratio_against.py RUN.json REF.json [RUN2.json ...]``: for every warm pass of
each RUN (a ``bench_review.py --out`` report), each PR's wall time is divided by the median floor
of that PR over REF's warm passes; the p95 of a pass is the bench's nearest-rank percentile
(:func:`bench_review.percentile`), and the figure is the median over passes, as the bench reports
its own ``warm_ratio_p95``. It prints one line per RUN: its own ratio p50/p95, the ratio p50/p95
against REF's floors, and how much longer RUN's floors are than REF's (paired median per PR).

Why: a ratio is only as good as its floor. The floor measured inside a run shares the machine with
whatever that run leaves behind (a command server's work between requests, idle time before it),
so a run through ``quorum server`` is also compared with the floors of a one-process run of the
same PRs in the same minutes (the eleventh session found the tenth session's served floors 5-35%
longer than those). Exit status 1, with one line on stderr, when a RUN has a PR that REF lacks.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import percentile


def _warm_rows(report: dict) -> list[list[dict]]:
    """The rows of each warm pass of a ``bench_review.py`` report (``rows["warm N"]``), in pass order."""
    return [rows for name, rows in report["rows"].items() if name.startswith("warm")]


def floor_medians(report: dict) -> dict[str, float]:
    """Median ``floor_s`` (seconds) per PR (``sha``, 12 hex digits) over a report's warm passes."""
    floors: dict[str, list[float]] = defaultdict(list)
    for rows in _warm_rows(report):
        for row in rows:
            floors[row["sha"]].append(row["floor_s"])
    return {sha: statistics.median(values) for sha, values in floors.items()}


def ratios_against(run: dict, ref: dict) -> dict[str, float]:
    """``run``'s ratio p50/p95 (its own floors and ``ref``'s), each the median over warm passes, and
    ``floor_shift``: the paired median of run's floor over ref's per PR (1.0 = the same floors).

    Raises KeyError naming the PR when ``run`` has a PR that ``ref`` lacks."""
    ref_floor = floor_medians(ref)
    own50, own95, x50, x95 = [], [], [], []
    for rows in _warm_rows(run):
        if not rows:
            continue
        missing = [row["sha"] for row in rows if row["sha"] not in ref_floor]
        if missing:
            raise KeyError(f"PR {missing[0]} is not in the reference run")
        own = [row["wall_s"] / row["floor_s"] for row in rows]
        cross = [row["wall_s"] / ref_floor[row["sha"]] for row in rows]
        own50.append(percentile(own, 50))
        own95.append(percentile(own, 95))
        x50.append(percentile(cross, 50))
        x95.append(percentile(cross, 95))
    run_floor = floor_medians(run)
    shift = statistics.median(run_floor[sha] / ref_floor[sha] for sha in run_floor)
    return {"own_p50": statistics.median(own50), "own_p95": statistics.median(own95),
            "ref_p50": statistics.median(x50), "ref_p95": statistics.median(x95), "floor_shift": shift}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``RUN.json REF.json [RUN2.json ...]`` (see the module docstring)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: ratio_against.py RUN.json REF.json [RUN2.json ...]", file=sys.stderr)
        return 2
    ref = json.loads(Path(args[1]).read_text())
    for path in [args[0], *args[2:]]:
        try:
            r = ratios_against(json.loads(Path(path).read_text()), ref)
        except KeyError as exc:
            print(f"ratio_against: {path}: {exc.args[0]}", file=sys.stderr)
            return 1
        print(f"{Path(path).name}: ratio p50/p95 {r['own_p50']:.2f}/{r['own_p95']:.2f} on its own floors, "
              f"{r['ref_p50']:.2f}/{r['ref_p95']:.2f} on {Path(args[1]).name}'s; its floors x{r['floor_shift']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
