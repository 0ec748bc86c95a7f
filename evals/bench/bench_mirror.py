"""What the App's history mirror costs per review: disk, first fetch, incremental fetch, history time.

A real repository's bare clone (e.g. ``/work/.mirror/pydantic+pydantic/repo``) stands in for GitHub:
the benchmark makes a "remote" bare repository that borrows its objects (``objects/info/alternates``)
and whose ``main`` and ``refs/pull/<n>/head`` it moves itself, so that each of the newest ``--prs``
merged PRs arrives as a webhook would: the base branch has advanced to the PR's base, and the PR's
head is published. For each PR it measures, as the App does it:

- ``full`` (what the App uses): :class:`bot.adapters.mirror.MirrorStore` ``lease().sync()`` over
  ``file://`` (first fetch = the clone, then one fetch per PR), then
  :func:`bot.history.facts.compute_facts` cold (empty cache) on the mirror;
- ``partial`` (the alternative): ``git clone --bare --filter=blob:none`` and
  ``git fetch --filter=blob:none`` of the same refs, then the same facts, which make git fetch the
  missing blobs lazily from the remote (``--partial-prs`` PRs only: it is slow).

Prints one line per PR and a summary per mode (disk after the first fetch, first fetch seconds,
median and p95 incremental fetch and history seconds, disk added per review), and the load
average before and after. Nothing leaves the machine (``file://`` only).

Usage::

    python evals/bench/bench_mirror.py --source /work/.mirror/encode+httpx/repo --repo encode/httpx \\
        --branch master --prs 10 --partial-prs 3 --work /tmp/bench-mirror
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from bot.adapters.gitlocal import Git
from bot.adapters.gitrun import run_git
from bot.adapters.mirror import MirrorStore, dir_size
from bot.core.diff import parse_diff
from bot.evals.history import find_merged_prs
from bot.evals.stats import percentile
from bot.history.cache import HistoryCache
from bot.history.facts import compute_facts
from bot.history.gitlog import LocalHistory


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (``/proc/loadavg``)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_remote(source: Path, remote: Path) -> None:
    """A bare repository borrowing ``source``'s objects, serving filters and any SHA like GitHub."""
    shutil.rmtree(remote, ignore_errors=True)
    remote.parent.mkdir(parents=True, exist_ok=True)
    run_git(remote.parent, "init", "--bare", "--quiet", str(remote))
    (remote / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (remote / "objects" / "info" / "alternates").write_text(str((source / "objects").resolve()) + "\n")
    for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        run_git(remote, "config", key, "true")


def publish(remote: Path, branch: str, base: str, number: int | None = None, head: str | None = None) -> None:
    run_git(remote, "update-ref", f"refs/heads/{branch}", base)
    if number is not None and head is not None:
        run_git(remote, "update-ref", f"refs/pull/{number}/head", head)


def facts_s(path: Path, diff, pr) -> float:  # noqa: ANN001
    history = LocalHistory(path, HistoryCache(None))
    t0 = time.perf_counter()
    compute_facts(diff, pr.author, pr.base, history)
    return time.perf_counter() - t0


def summary(mode: str, first: dict, rows: list[dict]) -> dict:
    fetch = [r["fetch_s"] for r in rows]
    hist = [r["history_s"] for r in rows]
    grow = [r["disk_added"] for r in rows]
    out = {"mode": mode, "reviews": len(rows), "first_fetch_s": first["fetch_s"], "disk_after_first": first["disk"],
           "fetch_s_p50": round(percentile(fetch, 50), 3) if fetch else None,
           "fetch_s_p95": round(percentile(fetch, 95), 3) if fetch else None,
           "history_s_p50": round(percentile(hist, 50), 3) if hist else None,
           "history_s_p95": round(percentile(hist, 95), 3) if hist else None,
           "disk_added_per_review_p50": int(percentile(grow, 50)) if grow else None,
           "disk_final": rows[-1]["disk"] if rows else first["disk"]}
    print("SUMMARY", json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, required=True, help="A bare clone of the repository (the 'GitHub').")
    ap.add_argument("--repo", required=True, help="owner/name")
    ap.add_argument("--branch", default="main")
    ap.add_argument("--prs", type=int, default=10)
    ap.add_argument("--partial-prs", type=int, default=3)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    print("load average before:", loadavg())
    prs = list(reversed(find_merged_prs(args.source, ref=args.branch)[: args.prs]))
    diffs = []
    for pr in prs:
        raw = Git(args.source).run("diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
                                   "--src-prefix=a/", "--dst-prefix=b/", pr.base, pr.sha, "--")
        diffs.append(parse_diff(raw.decode("utf-8", "surrogateescape")))
    remote_root = args.work / "remote"
    remote = remote_root / f"{args.repo}.git"
    make_remote(args.source, remote)
    start = prs[0].base

    # full mirror, through the App's own code
    shutil.rmtree(args.work / "mirrors", ignore_errors=True)
    store = MirrorStore(args.work / "mirrors", git_url=f"file://{remote_root.resolve()}", max_bytes=1 << 40,
                        timeout_s=3600, min_free_bytes=0)
    publish(remote, args.branch, start)
    with store.lease(1, args.repo) as lease:
        t0 = time.perf_counter()
        rep = lease.sync(base_ref=args.branch, pr_number=None, need=start, token=None)
        first = {"fetch_s": round(time.perf_counter() - t0, 2), "disk": rep.size}
    print("full first fetch", json.dumps(first))
    rows = []
    for pr, diff in zip(prs, diffs):
        publish(remote, args.branch, pr.base, pr.number, pr.sha)
        with store.lease(1, args.repo) as lease:
            before = dir_size(lease.path)
            t0 = time.perf_counter()
            rep = lease.sync(base_ref=args.branch, pr_number=pr.number, need=pr.base, token=None, always=True)
            fetch = time.perf_counter() - t0
            hist = facts_s(lease.path, diff, pr)
        rows.append({"pr": pr.number, "fetch_s": round(fetch, 3), "history_s": round(hist, 3),
                     "disk": rep.size, "disk_added": rep.size - before})
        print("full", json.dumps(rows[-1]))
    results = [summary("full", first, rows)]
    full_rows = rows

    # partial (blob:none) clone: the alternative, measured with plain git
    part = args.work / "partial" / "repo.git"
    shutil.rmtree(part.parent, ignore_errors=True)
    part.parent.mkdir(parents=True)
    publish(remote, args.branch, start)
    t0 = time.perf_counter()
    run_git(part.parent, "clone", "--bare", "--quiet", "--no-tags", "--filter=blob:none", "--single-branch",
            "--branch", args.branch, f"file://{remote.resolve()}", str(part))
    first = {"fetch_s": round(time.perf_counter() - t0, 2), "disk": dir_size(part)}
    print("partial first fetch", json.dumps(first))
    rows = []
    for pr, diff in list(zip(prs, diffs))[: args.partial_prs]:
        publish(remote, args.branch, pr.base, pr.number, pr.sha)
        before = dir_size(part)
        t0 = time.perf_counter()
        run_git(part, "fetch", "--quiet", "--no-tags", "--filter=blob:none", "origin",
                f"+refs/heads/{args.branch}:refs/heads/{args.branch}",
                f"+refs/pull/{pr.number}/head:refs/pull/{pr.number}/head")
        fetch = time.perf_counter() - t0
        hist = facts_s(part, diff, pr)
        size = dir_size(part)
        rows.append({"pr": pr.number, "fetch_s": round(fetch, 3), "history_s": round(hist, 3), "disk": size,
                     "disk_added": size - before})
        print("partial", json.dumps(rows[-1]))
    results.append(summary("partial", first, rows))
    paired = {r["pr"] for r in rows}
    results.append(summary("full, same PRs as partial", results[0] | {"fetch_s": results[0]["first_fetch_s"],
                                                                       "disk": results[0]["disk_after_first"]},
                           [r for r in full_rows if r["pr"] in paired]))
    print("load average after:", loadavg())
    print("RESULT", json.dumps({"repo": args.repo, "prs": len(prs), "results": results}))


if __name__ == "__main__":
    main()
