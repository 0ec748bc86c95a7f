"""Benchmark the code index: cold build (empty cache), warm build (same tree, cache filled) and a
few queries, on a local git repository. Prints one JSON object.

Usage::

    python evals/bench/bench_index.py --repo PATH [--rev HEAD] [--runs 5] [--workers N]

Cold runs each use a fresh, empty cache directory (the time includes writing the cache); warm
runs reuse the cache of the last cold run. Every run opens the tree anew (``git ls-tree`` and a
new ``git cat-file`` process included). ``cpu_s`` adds this process's and its children's CPU time,
a figure less sensitive than wall time to other load on the machine. Reads git objects only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.adapters.gitlocal import CatFile, Git, GitTree
from bot.codeindex import CodeIndex, build_index


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


def _build(repo: str, sha: str, cache: Path | None, workers: int | None) -> tuple[CodeIndex, float, float]:
    cat = CatFile(repo)
    try:
        tree = GitTree(Git(repo), cat, sha)
        cpu0 = _cpu()
        t0 = time.perf_counter()
        index = build_index(tree, cache, workers=workers)
        wall = (time.perf_counter() - t0) * 1000
        return index, wall, _cpu() - cpu0
    finally:
        cat.close()


def _queries(index: CodeIndex) -> dict[str, object]:
    """Time a few typical queries on the most-called function names of the tree."""
    counts: Counter[str] = Counter()
    for entry in index.files.values():
        counts.update(entry.call_names & entry.def_names)
    names = [n for n, _ in counts.most_common(3)]
    t0 = time.perf_counter()
    found = 0
    for name in names:
        for d in index.definitions(name)[:2]:
            found += len(index.callers(d))
            index.trace(d, depth=3)
    return {"names": names, "callers_found": found, "ms": round((time.perf_counter() - t0) * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (2 for a bad repository or revision)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="path of a local git repository (bare or not)")
    parser.add_argument("--rev", default="HEAD", help="revision to index (default HEAD)")
    parser.add_argument("--runs", type=int, default=3, help="cold and warm runs each (default 3)")
    parser.add_argument("--workers", type=int, default=None, help="parser processes (default min(2, CPUs))")
    args = parser.parse_args(argv)
    repo = str(Path(args.repo).resolve())
    sha = Git(repo).rev(args.rev)
    if sha is None:
        print(f"bench_index: {args.rev!r} is not a commit in {repo}", file=sys.stderr)
        return 2
    cold: list[float] = []
    cold_cpu: list[float] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="quorum-bench-") as tmp:
        index = None
        cache = None
        for i in range(max(1, args.runs)):
            cache = Path(tmp) / f"cold{i}"
            index, wall, cpu = _build(repo, sha, cache, args.workers)
            cold.append(wall)
            cold_cpu.append(cpu)
        for _ in range(max(1, args.runs)):
            warm_index, wall, _cpu_s = _build(repo, sha, cache, args.workers)
            warm.append(wall)
            assert warm_index.stats.parsed == 0, "warm build parsed files"
        assert index is not None
        stats = index.stats
        out = {
            "repo": repo,
            "rev": args.rev,
            "head": sha,
            "files": stats.files,
            "lines": stats.lines,
            "bytes": stats.bytes_parsed,
            "skipped": stats.skipped,
            "failed": len(stats.failed),
            "workers": stats.workers,
            "mode": stats.mode,
            "cold_ms": _summary(cold),
            "cold_cpu_s": _summary(cold_cpu),
            "warm_ms": _summary(warm),
            "queries": _queries(warm_index),
            "runs": args.runs,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            },
        }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
