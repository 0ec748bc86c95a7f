"""Benchmark: ``quorum review`` against its floor, on real squash-merged PRs of one repository.

Targets (issue 14, DESIGN.md "Performance targets"), on 20+ PRs of 50-400 changed lines:
warm index p95 wall <= 0.6 s and p95 of the ratio to the floor <= 2.0; cold index <= 1.5 s;
peak RSS <= 150 MB. Benchmarks report figures; they never assert them.

Usage::

    python evals/bench/bench_review.py --repo /tmp/pydantic --prs 20 --passes 3 [--out FILE]

For each PR (newest first-parent commits whose subject ends in ``(#N)`` with min..max changed
lines) and each pass, in the same run and back to back:

- the **floor**: ``python evals/bench/floor.py REPO BASE HEAD`` as a fresh process (start Python,
  ``git diff``, tree-sitter-parse both versions of every changed file once);
- **Quorum**: ``quorum review --repo R --base SHA^ --head SHA --format json --no-log`` as a fresh
  process (secret and injection scanning on, as always: there is no switch to turn them off).

Pass 0 is **cold**: the code-index cache is emptied before every PR (the whole head tree is
indexed; the cold index time is ``timings.index_ms`` plus ``timings.index_lazy_ms``, the files a
review's queries parsed on demand: the row's ``index_ms``; ``index_upfront_ms`` is the first alone). Before the warm passes the bench indexes
every PR's head tree into the cache (in this process, not timed: the cold pass leaves only the
last PR's tree there, and a first "warm" pass would otherwise parse every file that changed
between consecutive PRs). Passes 1..N are then **warm**: each review's head tree is in the index
cache, as after ``quorum index --rev SHA`` (the CLI's regex cache is kept too). Per pass:
p50/p95 of wall seconds, of CPU seconds (user+sys of the process and its children, from
``wait4``: what the machine's load does not inflate), of the ratio wall/floor, of the **agents' ratio** (``timings.agents_ms`` over the floor's wall: what
remains of the ratio with every fixed cost removed, a lower bound for any start-up or loading work), of ``index_ms``,
of **start-up** (``startup_ms + cli_ms``: process start to the start of the review, wall) and of
``start_cpu_ms`` (the CPU the process spent until then), of ``fixed_ms`` (the per-review overhead:
:data:`FIXED_PARTS`) and of each ``timings`` part (:data:`PARTS`), the peak RSS (``ru_maxrss``), the share
of wall time that ``timings`` accounts for, and ``/proc/loadavg`` before and after. The summary
gives the medians over warm passes.

``--log`` reviews with the decision log on, as a plain ``quorum review`` does (a log in the
bench's temporary data directory; without it, ``--no-log``: the figures of earlier sessions).

``--autostart`` measures the warm passes as ``quorum review`` runs by default: one untimed review
before them runs in its own process and starts the server, which then serves them.

Without ``--server`` or ``--autostart`` no review uses or starts a command server (``QUORUM_SERVER=0``): the figures
are those of a fresh process, which ``quorum review`` is when no server runs (the first review,
in CI, or after 15 idle minutes: :mod:`bot.cli.autostart`).

``--server`` runs the warm passes through ``quorum server`` (the opt-in command server, started
after the cold pass, stopped at the end): wall times then include the client's process start and
the hand-over; CPU and RSS are the client's only (the review runs in the server's forked child).

``--gap S`` leaves S seconds of idle time before each floor and before each review of the warm
passes (default 0, back to back, as every figure before the tenth session). A review run by hand or from a pre-push
hook has idle time around it; the command server does its work between requests (the warm state
and a spare child, :mod:`bot.cli.warmstate`, :mod:`bot.cli.spare`) in that time. The gap is the
same before both, so that the floor and the review start from the same state: the tenth session
had the gap before the floor only, and the eleventh found those floors 5-35% longer (paired
median per PR, 15-20 of 20 PRs longer) than the floors of the one-process run in the same minutes,
which flattered the ratio. ``evals/bench/ratio_against.py`` recomputes a run's ratios against the
floors of another run of the same PRs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.adapters.gitrun import run_git

_PR = re.compile(r"\(#\d+\)$")
FLOOR = Path(__file__).with_name("floor.py")
TIMED_STAGES = ("startup_ms", "cli_ms", "total_ms", "render_ms")
PARTS = ("startup_ms", "cli_ms", "snapshot_ms", "setup_ms", "policy_ms", "history_ms", "index_ms", "agents_ms", "render_ms")
"""``timings`` parts whose p50/p95 each pass reports (wall ms)."""
FIXED_PARTS = ("startup_ms", "cli_ms", "snapshot_ms", "setup_ms", "policy_ms")
"""The per-review overhead that does not grow with the change (issue 14): process start to the
review's start, reading the change, loading the agents, the policy and its decision (which
includes waiting for the history step). Their sum is each row's ``fixed_ms``."""


def _git(repo: str, *args: str) -> str:
    """Run git through the project's runner (scrubbed environment); stdout as text."""
    return run_git(repo, *args).stdout.decode("utf-8", "replace")


def pick_prs(repo: str, count: int, min_lines: int, max_lines: int) -> list[tuple[str, int, str]]:
    """Newest squash-merged PR commits with min_lines..max_lines changed lines: (sha, lines, subject)."""
    out = _git(repo, "log", "--first-parent", "--no-merges", "--format=%H%x00%s", "-n", str(count * 30))
    picked: list[tuple[str, int, str]] = []
    for line in out.splitlines():
        sha, _, subject = line.partition("\0")
        if not _PR.search(subject):
            continue
        stat = _git(repo, "diff", "--numstat", f"{sha}^", sha)
        lines = sum(int(a) + int(d) for a, d, _ in (r.split("\t", 2) for r in stat.splitlines()) if a != "-")
        if min_lines <= lines <= max_lines:
            picked.append((sha, lines, subject))
        if len(picked) >= count:
            break
    return picked


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q% of the values at
    or below it, rank ``ceil(q / 100 * n)`` (Hyndman & Fan's definition 1; e.g. the 19th of 20
    values for q = 95). Until the sixth session this rounded ``q / 100 * n + 0.5`` with Python's
    round-half-to-even, which gave rank 20 of 20 (the maximum) for p95 of 20 PRs but rank 38 of
    40: the reports' ``max`` keeps the old, stricter figure for 20 PRs visible."""
    ordered = sorted(values)
    rank = max(1, math.ceil(round(q * len(ordered), 9) / 100))
    return ordered[min(rank, len(ordered)) - 1]


def run_timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int, str, str]:
    """Run ``argv``; (wall s, cpu s, peak RSS KiB, exit status, stdout, stderr). CPU and RSS come
    from ``wait4`` (the child and the children it waited for)."""
    out_f = tempfile.TemporaryFile()
    err_f = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out_f, stderr=err_f, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out_f.seek(0)
    err_f.seek(0)
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode,
            out_f.read().decode("utf-8", "replace"), err_f.read().decode("utf-8", "replace"))


def loadavg() -> list[float]:
    """The 1, 5 and 15-minute load averages."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def summarize(rows: list[dict]) -> dict:
    """p50/p95 of wall, cpu and ratio; max RSS; median accounted share."""
    def stat(key: str) -> dict:
        values = [r[key] for r in rows if r.get(key) is not None]
        if not values:
            return {}
        return {"p50": round(statistics.median(values), 3), "p95": round(percentile(values, 95), 3),
                "max": round(max(values), 3)}

    return {
        "n": len(rows),
        "wall_s": stat("wall_s"), "cpu_s": stat("cpu_s"), "floor_s": stat("floor_s"), "floor_cpu_s": stat("floor_cpu_s"),
        "ratio": stat("ratio"), "cpu_ratio": stat("cpu_ratio"), "agents_ratio": stat("agents_ratio"),
        "index_ms": stat("index_ms"),
        "startup_ms": stat("startup_ms"), "start_cpu_ms": stat("start_cpu_ms"),
        "peak_rss_mb": round(max(r["rss_kb"] for r in rows) / 1024, 1) if rows else None,
        "accounted": stat("accounted"), "fixed_ms": stat("fixed_ms"),
        "parts": {k: _part(rows, k) for k in PARTS},
    }


def _part(rows: list[dict], key: str) -> dict:
    values = [r["timings"].get(key) for r in rows if r.get("timings", {}).get(key) is not None]
    if not values:
        return {}
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(values, 95), 2)}


def prime_index(repo: str, shas: list[str], cache_dir: Path) -> dict[str, float]:
    """Index the head tree of every ``sha`` into ``cache_dir`` (the CLI's ``<cache>/index``), so
    that every warm review finds its head tree cached. Returns ``{"files": N, "parsed": N, "s": wall}``."""
    from bot.adapters.gitlocal import CatFile, Git, GitTree  # noqa: PLC0415
    from bot.codeindex import build_index  # noqa: PLC0415

    start = time.perf_counter()
    files = parsed = 0
    cat = CatFile(repo)
    try:
        for sha in shas:
            stats = build_index(GitTree(Git(repo), cat, sha), cache_dir).stats
            files, parsed = files + stats.files, parsed + stats.parsed
    finally:
        cat.close()
    return {"files": files, "parsed": parsed, "s": round(time.perf_counter() - start, 2)}


def start_by_review(quorum: str, repo: str, sha: str, env: dict[str, str], wait_s: float = 60.0) -> None:
    """Run one untimed ``quorum review`` of ``sha`` in ``env`` (no server runs yet: it reviews in its own
    process and then starts one, :mod:`bot.cli.autostart`), and wait until ``quorum server status``
    says the server runs and its socket is there (at most ``wait_s`` seconds, then 1 more). Raises
    RuntimeError when the review fails or no server listens in time."""
    done = subprocess.run([quorum, "review", "--repo", repo, "--base", f"{sha}^", "--head", sha, "--format", "json",
                           "--no-log"], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the review that starts the server failed: {done.stderr.strip()[-300:]}")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        status = subprocess.run([quorum, "server", "status"], env=env, capture_output=True, text=True, check=False)
        sock = status.stdout.rsplit(" at ", 1)[-1].strip()
        if status.stdout.startswith("quorum server running") and os.path.exists(sock):
            time.sleep(1.0)  # its first spare forked and ready, as a server started a second before a review
            return
        time.sleep(0.2)
    raise RuntimeError("no server listened after the review that should have started it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--prs", type=int, default=20)
    parser.add_argument("--passes", type=int, default=3, help="warm passes after the cold one")
    parser.add_argument("--min-lines", type=int, default=50)
    parser.add_argument("--max-lines", type=int, default=400)
    parser.add_argument("--quorum", default=shutil.which("quorum") or "quorum")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the floor")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    parser.add_argument("--no-cold", action="store_true",
                        help="pass 0 keeps the index cache between PRs (a priming pass, not reported as cold)")
    parser.add_argument("--server", action="store_true",
                        help="run the reviews through `quorum server` (started after the cold pass; CPU is then the client's only)")
    parser.add_argument("--autostart", action="store_true",
                        help="as `quorum review` runs by default: before the warm passes one untimed review (of the first PR)"
                             " starts the command server itself (bot.cli.autostart), which serves the warm passes")
    parser.add_argument("--log", action="store_true",
                        help="review as plain `quorum review` does: with the decision log on (in the bench's data directory;"
                             " pass 0 creates it, so the timed passes append to a ready log)")
    parser.add_argument("--gap", type=float, default=0.0,
                        help="seconds of idle time before each floor and before each review (default 0: back to back;"
                             " a review by hand or from a pre-push hook has idle time around it, in which `quorum server`"
                             " does its work between requests)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.gap <= 60.0:
        parser.error("--gap must be between 0 and 60 seconds")

    prs = pick_prs(args.repo, args.prs, args.min_lines, args.max_lines)
    if not prs:
        print("no PRs found", file=sys.stderr)
        return 1
    head = _git(args.repo, "rev-parse", "HEAD").strip()
    cache = Path(tempfile.mkdtemp(prefix="quorum-bench-review-"))
    env = dict(os.environ, QUORUM_CACHE_DIR=str(cache), QUORUM_DATA_DIR=str(cache / "data"))
    env.pop("QUORUM_MODEL", None)
    # An installed Quorum has its bytecode compiled (pip compiles wheels on install); a shell with
    # PYTHONDONTWRITEBYTECODE set would make every process re-compile every module instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    passes: list[dict] = []
    decisions: dict[str, str] = {}
    errors: list[str] = []
    env["QUORUM_SERVER"] = "0"
    env["QUORUM_SERVER_AUTOSTART"] = "0"  # only --server runs use a server, the one started below
    try:
        for n in range(args.passes + 1):
            if n == 1 and args.server:
                env["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="qb")
                env.pop("QUORUM_SERVER")
                subprocess.run([args.quorum, "server", "start", "--idle", "600"], env=env, check=True, capture_output=True)
            elif n == 1 and args.autostart and prs:
                env["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="qb")
                env.pop("QUORUM_SERVER")
                env.pop("QUORUM_SERVER_AUTOSTART")
                env.pop("CI", None)
                start_by_review(args.quorum, args.repo, prs[0][0], env)
            if n == 1:
                primed = prime_index(args.repo, [sha for sha, _, _ in prs], cache / "index")
                print(f"primed the index cache with every PR's head tree: {primed}", file=sys.stderr, flush=True)
            rows: list[dict] = []
            load_before = loadavg()
            print(f"pass {n} ({'cold' if n == 0 else 'warm'}) on {args.repo}, load {load_before}", file=sys.stderr, flush=True)
            for sha, lines, _ in prs:
                if args.gap and n:
                    time.sleep(args.gap)  # idle time before the floor (warm passes), outside every measured interval
                floor_wall, floor_cpu, _, code, _, err = run_timed([args.python, str(FLOOR), args.repo, f"{sha}^", sha], env)
                if code != 0:
                    errors.append(f"floor {sha[:10]}: {err.strip()[-300:]}")
                    continue
                if n == 0 and not args.no_cold:
                    shutil.rmtree(cache / "index", ignore_errors=True)
                if args.gap and n:
                    time.sleep(args.gap)  # the same idle time before the review
                wall, cpu, rss, code, out, err = run_timed(
                    [args.quorum, "review", "--repo", args.repo, "--base", f"{sha}^", "--head", sha,
                     "--format", "json", *([] if args.log else ["--no-log"])], env)
                if code != 0:
                    errors.append(f"review {sha[:10]}: {err.strip()[-300:]}")
                    continue
                report = json.loads(out)
                t = report["timings"]
                decisions[sha] = report["decision"]["action"]
                rows.append({
                    "sha": sha[:12], "lines": lines, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                    "floor_s": round(floor_wall, 3), "floor_cpu_s": round(floor_cpu, 3),
                    "ratio": round(wall / floor_wall, 2), "cpu_ratio": round(cpu / floor_cpu, 2) if floor_cpu else None,
                    "agents_ratio": round(t.get("agents_ms", 0.0) / (floor_wall * 1000), 2),
                    "rss_kb": rss, "index_ms": round(t.get("index_ms", 0.0) + t.get("index_lazy_ms", 0.0), 2),
                    "index_upfront_ms": t.get("index_ms"),
                    "startup_ms": round(t.get("startup_ms", 0.0) + t.get("cli_ms", 0.0), 2),
                    "start_cpu_ms": t.get("start_cpu_ms") or None,
                    "accounted": round(sum(t.get(k, 0.0) for k in TIMED_STAGES) / (wall * 1000), 3),
                    "fixed_ms": round(sum(t.get(k, 0.0) for k in FIXED_PARTS), 2),
                    "timings": t,
                })
            passes.append({"pass": ("priming" if args.no_cold else "cold") if n == 0 else f"warm {n}", "loadavg_before": load_before,
                           "loadavg_after": loadavg(), **summarize(rows), "rows": rows})
    finally:
        if (args.server or args.autostart) and "XDG_RUNTIME_DIR" in env:
            subprocess.run([args.quorum, "server", "stop"], env=env, capture_output=True)
        shutil.rmtree(cache, ignore_errors=True)
    warm = [p for p in passes[1:] if p["n"]]

    def median_of(key: str, sub: str) -> float | None:
        values = [p[key][sub] for p in warm if p.get(key)]
        return round(statistics.median(values), 3) if values else None

    def _median_part(passes_: list[dict], key: str) -> float | None:
        values = [p["parts"][key]["p50"] for p in passes_ if p.get("parts", {}).get(key)]
        return round(statistics.median(values), 2) if values else None

    report = {
        "repo": args.repo,
        "head": head,
        "mode": ("command server (warm passes)" if args.server
                 else "command server started by a review (warm passes)" if args.autostart else "one process per review")
        + (", decision log on" if args.log else ", --no-log")
        + (f", {args.gap:g} s idle before each floor and each review" if args.gap else ", back to back"),
        "prs": [{"sha": s[:12], "changed_lines": n, "decision": decisions.get(s)} for s, n, _ in prs],
        "summary": {
            "warm_passes": len(warm),
            "warm_wall_p50_s": median_of("wall_s", "p50"), "warm_wall_p95_s": median_of("wall_s", "p95"),
            "warm_wall_max_s": median_of("wall_s", "max"), "warm_ratio_max": median_of("ratio", "max"),
            "warm_ratio_p50": median_of("ratio", "p50"), "warm_ratio_p95": median_of("ratio", "p95"),
            "warm_cpu_p50_s": median_of("cpu_s", "p50"), "warm_cpu_p95_s": median_of("cpu_s", "p95"),
            "warm_cpu_ratio_p95": median_of("cpu_ratio", "p95"),
            "warm_agents_ratio_p50": median_of("agents_ratio", "p50"), "warm_agents_ratio_p95": median_of("agents_ratio", "p95"),
            "warm_index_p50_ms": median_of("index_ms", "p50"), "warm_index_p95_ms": median_of("index_ms", "p95"),
            "startup_p50_ms": median_of("startup_ms", "p50"), "startup_p95_ms": median_of("startup_ms", "p95"),
            "start_cpu_p50_ms": median_of("start_cpu_ms", "p50"), "start_cpu_p95_ms": median_of("start_cpu_ms", "p95"),
            "floor_p50_s": median_of("floor_s", "p50"),
            "cold_wall_p50_s": passes[0].get("wall_s", {}).get("p50"), "cold_wall_p95_s": passes[0].get("wall_s", {}).get("p95"),
            "cold_index_p50_ms": passes[0].get("index_ms", {}).get("p50"), "cold_index_p95_ms": passes[0].get("index_ms", {}).get("p95"),
            "cold_index_max_ms": passes[0].get("index_ms", {}).get("max"),
            "peak_rss_mb": max((p["peak_rss_mb"] or 0) for p in passes),
            "accounted_p50": median_of("accounted", "p50"),
            "fixed_p50_ms": median_of("fixed_ms", "p50"), "fixed_p95_ms": median_of("fixed_ms", "p95"),
            "warm_parts_p50_ms": {k: _median_part(warm, k) for k in PARTS},
            "loadavg": [p["loadavg_before"] + p["loadavg_after"] for p in passes],
        },
        "passes": [{k: v for k, v in p.items() if k != "rows"} for p in passes],
        "rows": {p["pass"]: p["rows"] for p in passes},
        "errors": errors,
        "command": "python evals/bench/bench_review.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(json.dumps({k: report[k] for k in ("repo", "head", "mode", "summary", "errors", "command")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
