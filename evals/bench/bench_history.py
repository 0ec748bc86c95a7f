"""History facts cold vs warm: compute_facts for the newest N merged PRs of a clone, twice, with
one SQLite cache; prints per-PR milliseconds and p50/p95 of each pass, and the load average.

Usage: ``python evals/bench/bench_history.py --repo /tmp/pydantic --prs 20``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bot.adapters.gitlocal import Git
from bot.core.diff import parse_diff
from bot.evals.history import find_merged_prs
from bot.evals.stats import percentile
from bot.history.cache import HistoryCache
from bot.history.facts import compute_facts
from bot.history.gitlog import LocalHistory


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--prs", type=int, default=20)
    args = ap.parse_args()
    prs = find_merged_prs(args.repo)[: args.prs]
    diffs = []
    for pr in prs:
        raw = Git(args.repo).run("diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
                                 "--src-prefix=a/", "--dst-prefix=b/", pr.base, pr.sha, "--")
        diffs.append(parse_diff(raw.decode("utf-8", "surrogateescape")))
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("cold", "warm"):
            history = LocalHistory(args.repo, HistoryCache(Path(tmp) / "history.sqlite"))
            times = []
            for pr, diff in zip(prs, diffs):
                t0 = time.perf_counter()
                compute_facts(diff, pr.author, pr.base, history)
                times.append((time.perf_counter() - t0) * 1000)
            history.close()
            print(f"{label}: p50 {percentile(times, 50):.1f} ms  p95 {percentile(times, 95):.1f} ms  "
                  f"per PR: {' '.join(f'{t:.1f}' for t in times)}")
    print("load average:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
