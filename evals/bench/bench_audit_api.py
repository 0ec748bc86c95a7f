"""Benchmark the auditor API and console over a decision log of 10,000 decisions.

Usage::

    python evals/bench/bench_audit_api.py [--decisions 10000] [--requests 100] [--db PATH]

Builds (or, with an existing ``--db``, reuses) a SQLite decision log through ``DecisionStore.append``
(the real hash chain): ``--decisions`` decision records over 20 repositories, 150 authors and
about a year, 0-3 findings each with a two-step trace, plus one merge record per two decisions and
some feedback votes. Then starts ``quorum serve --console-only`` as a subprocess on loopback,
creates an auditor token, and times each kind of request ``--requests`` times, sequentially, from
just before the request is written to the full response body (httpx, keep-alive): the first page
of decisions, pages further down through the cursor, each filter (repository, action, rule id,
author, time range, PR), a decision's detail, merges, exceptions, stats, and the console's
decision list and decision page. ``exceptions`` and ``stats`` read the whole log once and are
cached until the log grows: their first (cold) call is reported apart. Every request is written
to the access log, as in production. Next to wall-clock latency, the server's CPU time per
request (``/proc/<pid>/stat``) is reported: on a shared machine latency depends on what else
runs, CPU per request much less. Prints one JSON object with p50/p95/max per kind, the
target (p95 <= 100 ms per page) and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.audit import DecisionStore  # noqa: E402
from bot.audit.access import AccessStore  # noqa: E402
from bot.testing.auditlog import T0, decision, feedback, finding, merge, sha  # noqa: E402

RULES = ["paths/wide-reach", "logic/removed-guard", "logic/changed-return", "QPY004", "QPY017", "intent/empty-description",
         "safety/dangerous-call", "QGO001", "QTS001", "logic/untested-behaviour-change"]
ACTIONS = ["approve"] * 4 + ["comment"] * 4 + ["needs_human", "request_changes"]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else "n/a"


def build(db: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    store = DecisionStore(f"sqlite:///{db}")
    t = T0 - timedelta(days=365)
    step = timedelta(days=365) / n
    for i in range(n):
        repo = f"acme/repo{rng.randrange(20):02d}"
        action = rng.choice(ACTIONS)
        findings = [finding(rng.choice(RULES), path=f"src/m{rng.randrange(50)}.py", line=rng.randrange(1, 900))
                    for _ in range(rng.choice([0, 0, 1, 2, 3]))]
        d = decision(repo, i + 1, sha(f"h{i}"), action, at=t + i * step, author=f"dev{rng.randrange(150)}",
                     findings=findings, approved=action == "approve", total_ms=rng.uniform(200, 3000))
        store.append(d)
        if i % 2 == 0:
            store.append(merge(repo, i + 1, sha(f"h{i}") if rng.random() < 0.9 else sha(f"x{i}"), at=t + i * step + step / 2,
                               quorum_approved=action == "approve", humans=[] if rng.random() < 0.7 else ["lead"],
                               decision_record=d))
        if findings and rng.random() < 0.1:
            store.append(feedback(repo, i + 1, findings[0]["rule_id"], rng.choice(["up", "down"]), f"dev{rng.randrange(150)}",
                                  at=t + i * step + step / 3, finding_id=findings[0]["id"]))
    store.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (``/proc/<pid>/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))], 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decisions", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--db", type=Path, default=None, help="Reuse/keep the log here (default: a temp dir).")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="quorum-bench-api-"))
    db = args.db or tmp / "decisions.sqlite3"
    built_s = None
    if not db.exists():
        t0 = time.perf_counter()
        build(db, args.decisions)
        built_s = round(time.perf_counter() - t0, 1)
    url = f"sqlite:///{db}"
    store = DecisionStore(url)
    counts = {k: len(store.list(kind=k, limit=None)) for k in ("decision", "merge", "feedback")}
    some = store.list(kind="decision", limit=None)
    store.close()
    access = AccessStore(url)
    token = access.create(f"bench-{os.getpid()}-{int(time.time())}")
    access.close()
    port = free_port()
    env = {**os.environ, "QUORUM_DATABASE_URL": url, "QUORUM_CACHE_DIR": str(tmp / "cache")}
    server = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "serve", "--console-only", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(1)
    try:
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        load_before = loadavg()
        cursors: list[str] = []
        page = client.get("/api/v1/decisions", params={"limit": 50}).json()
        while page["next_cursor"] and len(cursors) < 40:
            cursors.append(page["next_cursor"])
            page = client.get("/api/v1/decisions", params={"limit": 50, "cursor": page["next_cursor"]}).json()
        kinds = {
            "decisions, first page (50)": lambda: ("/api/v1/decisions", {"limit": 50}),
            "decisions, a page via cursor": lambda: ("/api/v1/decisions", {"limit": 50, "cursor": rng.choice(cursors)}),
            "decisions, repo filter": lambda: ("/api/v1/decisions", {"repo": f"acme/repo{rng.randrange(20):02d}"}),
            "decisions, action filter": lambda: ("/api/v1/decisions", {"action": rng.choice(["needs_human", "request_changes"])}),
            "decisions, rule id filter": lambda: ("/api/v1/decisions", {"rule_id": rng.choice(RULES)}),
            "decisions, author filter": lambda: ("/api/v1/decisions", {"author": f"dev{rng.randrange(150)}"}),
            "decisions, time range": lambda: ("/api/v1/decisions", {"since": "2025-09-01", "until": "2025-10-01"}),
            "decisions, PR filter": lambda: ("/api/v1/decisions", {"pr": rng.randrange(1, args.decisions)}),
            "decision detail": lambda: (f"/api/v1/decisions/{rng.choice(some)['decision_id']}", {}),
            "merges, first page": lambda: ("/api/v1/merges", {}),
            "exceptions (cached)": lambda: ("/api/v1/exceptions", {}),
            "stats (cached)": lambda: ("/api/v1/stats", {}),
            "console decision list": lambda: ("/console/decisions", {}),
            "console decision page": lambda: (f"/console/decisions/{rng.choice(some)['seq']}", {}),
        }
        cold: dict[str, float] = {}
        results: dict[str, dict[str, float]] = {}
        for name, make in kinds.items():
            times = []
            cpu0 = cpu_seconds(server.pid)
            for i in range(args.requests):
                path, params = make()
                t0 = time.perf_counter()
                r = client.get(path, params=params, cookies={"quorum_audit": token} if path.startswith("/console") else None)
                _ = r.content
                ms = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
                if i == 0 and "cached" in name:
                    cold[name] = round(ms, 1)
                    continue
                times.append(ms)
            results[name] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": pct(times, 95),
                             "max_ms": round(max(times), 2), "n": len(times),
                             "server_cpu_ms_per_request": round((cpu_seconds(server.pid) - cpu0) * 1000 / args.requests, 2)}
        load_after = loadavg()
    finally:
        server.terminate()
        server.wait(10)
    worst = max(v["p95_ms"] for v in results.values())
    out = {
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]]),
        "log": {**counts, "file_mb": round(db.stat().st_size / 1e6, 1), "built_s": built_s},
        "requests_per_kind": args.requests, "results": results, "cold_first_call_ms": cold,
        "target": "p95 <= 100 ms per page", "worst_p95_ms": worst, "met": worst <= 100,
        "loadavg_before": load_before, "loadavg_after": load_after, "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(out, indent=2))
    return 0 if out["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
