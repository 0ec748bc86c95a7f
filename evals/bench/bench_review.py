"""Benchmark: wall time of ``quorum review`` (process start included) on real merged PRs.

Target (DESIGN.md, "Performance targets"): p95 <= 2 s offline on a <= 400-line PR in a ~200k-line
Python repository on a 2-core machine.

Usage::

    python evals/bench/bench_review.py --repo /tmp/pydantic --prs 20 --runs 3 [--max-lines 400]

It picks the newest first-parent commits whose subject ends in ``(#N)`` (squash-merged PRs) with
1..max-lines changed lines, then runs ``quorum review --repo R --base SHA^ --head SHA --format json
--no-log`` as a fresh process for each. The first pass over each PR uses an empty code-index cache
directory (``cold``: the whole head tree is indexed), later passes reuse it (``warm``: only blobs
not yet cached are parsed, which is the steady state of a review bot on one repository).
Prints one JSON object: per-pass p50/p95/max wall seconds and the PRs measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PR = re.compile(r"\(#\d+\)$")


def pick_prs(repo: str, count: int, max_lines: int) -> list[tuple[str, int, str]]:
    """Newest squash-merged PR commits with 1..max_lines changed lines: (sha, lines, subject)."""
    out = subprocess.run(
        ["git", "-C", repo, "log", "--first-parent", "--no-merges", "--format=%H%x00%s", "-n", str(count * 10)],
        check=True, capture_output=True, text=True,
    ).stdout
    picked: list[tuple[str, int, str]] = []
    for line in out.splitlines():
        sha, _, subject = line.partition("\0")
        if not _PR.search(subject):
            continue
        stat = subprocess.run(
            ["git", "-C", repo, "diff", "--numstat", f"{sha}^", sha], check=True, capture_output=True, text=True
        ).stdout
        lines = sum(int(a) + int(d) for a, d, _ in (r.split("\t", 2) for r in stat.splitlines()) if a != "-")
        if 0 < lines <= max_lines:
            picked.append((sha, lines, subject))
        if len(picked) >= count:
            break
    return picked


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, int(round(q / 100 * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--prs", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="passes over the PRs (first is cold)")
    parser.add_argument("--max-lines", type=int, default=400)
    parser.add_argument("--quorum", default=shutil.which("quorum") or "quorum")
    args = parser.parse_args(argv)

    prs = pick_prs(args.repo, args.prs, args.max_lines)
    if not prs:
        print("no PRs found", file=sys.stderr)
        return 1
    head = subprocess.run(["git", "-C", args.repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    files = subprocess.run(["git", "-C", args.repo, "ls-files", "*.py"], capture_output=True, text=True).stdout.split()
    cache = Path(tempfile.mkdtemp(prefix="quorum-bench-review-"))
    env = dict(os.environ, QUORUM_CACHE_DIR=str(cache), QUORUM_DATA_DIR=str(cache / "data"))
    passes: list[dict] = []
    decisions: dict[str, str] = {}
    try:
        for run in range(args.runs):
            walls: list[float] = []
            for sha, _, _ in prs:
                if run == 0:
                    shutil.rmtree(cache / "index", ignore_errors=True)
                start = time.perf_counter()
                proc = subprocess.run(
                    [args.quorum, "review", "--repo", args.repo, "--base", f"{sha}^", "--head", sha,
                     "--format", "json", "--no-log"],
                    capture_output=True, text=True, env=env,
                )
                walls.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    print(f"{sha[:10]}: {proc.stderr.strip()}", file=sys.stderr)
                    continue
                decisions[sha] = json.loads(proc.stdout)["decision"]["action"]
            passes.append({
                "pass": "cold" if run == 0 else "warm",
                "n": len(walls),
                "p50_s": round(statistics.median(walls), 3),
                "p95_s": round(percentile(walls, 95), 3),
                "max_s": round(max(walls), 3),
            })
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps({
        "repo": args.repo,
        "head": head,
        "python_files": len(files),
        "prs": [{"sha": s[:12], "changed_lines": n, "decision": decisions.get(s)} for s, n, _ in prs],
        "passes": passes,
        "command": "python evals/bench/bench_review.py " + " ".join(argv or sys.argv[1:]),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
