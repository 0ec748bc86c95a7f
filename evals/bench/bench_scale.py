"""Scale-out benchmark on a PostgreSQL cluster this script starts (bot.testing.pgcluster).

Three measurements, each with real `quorum` processes against the fake GitHub on loopback:

1. ``throughput``: reviews per minute with 1, 2 and 4 ``quorum worker`` processes (``--threads 1``
   each): ``--prs`` docs-only PRs delivered at once to one receiver; time from the first delivery
   to the last decision.
2. ``ack``: receiver acknowledgement latency for a burst of ``--burst`` signed deliveries sent by
   ``--senders`` concurrent senders spread over 2 ``quorum serve --workers 0`` receivers (no
   workers running); p50, p99, max; and that every acknowledged delivery is stored.
3. ``flood``: ``--flood`` PRs of one installation, then one PR of another, with 2 workers: how
   long the single PR waited (its delivery to its decision) and how many flood reviews finished
   before it.

Prints one JSON object; ``cat /proc/loadavg`` before and after each part is included.

    python evals/bench/bench_scale.py [--parts throughput,ack,flood] [--prs 40] [--burst 500] [--senders 32]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.audit import DecisionStore
from bot.jobs.pg import PgJobStore
from bot.testing.fake_github import FakeGitHub
from bot.testing.pgcluster import pg_cluster_running
from bot.testing.scale import Fleet, fleet_env, pr_payload, send

BASE = {"README.md": "# Project\n", "docs/guide.md": "# Guide\n"}


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def deployment(cluster, fake: FakeGitHub, tmp: Path) -> tuple[Fleet, str]:  # noqa: ANN001
    url = cluster.new_log_url()
    fleet = Fleet(fleet_env(fake, tmp, url, QUORUM_WORKER_LEASE_S="30"), tmp / "logs")
    done = fleet.cli("db", "upgrade")
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return fleet, url


def wait_decided(decisions: DecisionStore, heads: set[tuple[str, int, str]], timeout_s: float) -> float | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = {(d["repo"], d["pr_number"], d["head_sha"]) for d in decisions.list(kind="decision", limit=None)}
        if heads <= got:
            return time.monotonic()
        time.sleep(0.2)
    return None


def throughput(cluster, workers: int, prs: int) -> dict:  # noqa: ANN001
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(git_root=Path(tmp) / "git") as fake:
        fake.add_repo("acme/docs", 42, BASE)
        fleet, url = deployment(cluster, fake, Path(tmp))
        decisions = DecisionStore(url)
        try:
            receiver = fleet.receiver()
            for _ in range(workers):
                fleet.worker(1)
            pulls = [fake.open_pull("acme/docs", {f"docs/p{i}.md": f"# P{i}\n"}, title=f"docs {i}") for i in range(prs)]
            heads = {("acme/docs", p.number, p.head_sha) for p in pulls}
            before = loadavg()
            with httpx.Client() as client, ThreadPoolExecutor(8) as pool:
                start = time.monotonic()
                list(pool.map(lambda p: send(client, [receiver.port], pr_payload(fake, "acme/docs", p.number, "opened", 42)),
                              pulls))
            end = wait_decided(decisions, heads, 900)
            return {"workers": workers, "prs": prs, "seconds": None if end is None else round(end - start, 1),
                    "reviews_per_minute": None if end is None else round(prs / (end - start) * 60, 1),
                    "loadavg_before": before, "loadavg_after": loadavg()}
        finally:
            fleet.stop_all()
            decisions.close()


def ack(cluster, burst: int, senders: int) -> dict:  # noqa: ANN001
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(git_root=Path(tmp) / "git") as fake:
        fake.add_repo("acme/burst", 42, BASE)
        fleet, url = deployment(cluster, fake, Path(tmp))
        store = PgJobStore(url)
        try:
            ports = [fleet.receiver().port, fleet.receiver().port]
            pull = fake.open_pull("acme/burst", {"docs/x.md": "# X\n"}, title="docs x")
            payloads = []
            for i in range(burst):
                p = pr_payload(fake, "acme/burst", pull.number, "synchronize", 42)
                p["number"] = p["pull_request"]["number"] = 1000 + i // 2  # 2 deliveries per PR: coalescing too
                payloads.append(p)
            before = loadavg()
            clients = [httpx.Client() for _ in range(senders)]
            with ThreadPoolExecutor(senders) as pool:
                futures = [pool.submit(send, clients[i % senders], [ports[i % 2]], p, attempts=1)
                           for i, p in enumerate(payloads)]
                sent = [f.result() for f in futures]
            for c in clients:
                c.close()
            acked = [s for s in sent if s.status and 200 <= s.status < 300]
            lat = sorted(s.ack_ms for s in acked)
            stored = sum(store.delivery(s.delivery_id) is not None for s in acked)
            return {"deliveries": burst, "senders": senders, "receivers": 2, "acknowledged": len(acked),
                    "stored": stored, "p50_ms": round(statistics.median(lat), 1),
                    "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)], 1), "max_ms": round(lat[-1], 1),
                    "loadavg_before": before, "loadavg_after": loadavg()}
        finally:
            fleet.stop_all()
            store.close()


def flood(cluster, flood_prs: int) -> dict:  # noqa: ANN001
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(git_root=Path(tmp) / "git") as fake:
        fake.add_repo("big/flood", 42, BASE)
        fake.add_repo("small/one", 43, BASE)
        fleet, url = deployment(cluster, fake, Path(tmp))
        decisions = DecisionStore(url)
        try:
            receiver = fleet.receiver()
            pulls = [fake.open_pull("big/flood", {f"docs/f{i}.md": f"# F{i}\n"}, title=f"docs {i}") for i in range(flood_prs)]
            single = fake.open_pull("small/one", {"docs/s.md": "# S\n"}, title="docs single")
            before = loadavg()
            with httpx.Client() as client:
                for p in pulls:
                    send(client, [receiver.port], pr_payload(fake, "big/flood", p.number, "opened", 42))
                fleet.worker(1)
                fleet.worker(1)
                time.sleep(2.0)  # the flood is being worked on when the single PR arrives
                queued = time.monotonic()
                send(client, [receiver.port], pr_payload(fake, "small/one", single.number, "opened", 43))
            end = wait_decided(decisions, {("small/one", single.number, single.head_sha)}, 600)
            flood_done = sum(1 for d in decisions.list(kind="decision", limit=None) if d["repo"] == "big/flood")
            return {"flood_prs": flood_prs, "single_pr_wait_s": None if end is None else round(end - queued, 1),
                    "flood_reviews_done_when_single_decided": flood_done,
                    "loadavg_before": before, "loadavg_after": loadavg()}
        finally:
            fleet.stop_all()
            decisions.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="throughput,ack,flood")
    ap.add_argument("--prs", type=int, default=40)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--burst", type=int, default=500)
    ap.add_argument("--senders", type=int, default=32)
    ap.add_argument("--flood", type=int, default=60)
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    out: dict = {"cpus": len(__import__("os").sched_getaffinity(0))}
    with pg_cluster_running() as cluster:
        if "ack" in parts:
            out["ack"] = ack(cluster, args.burst, args.senders)
        if "throughput" in parts:
            out["throughput"] = [throughput(cluster, int(w), args.prs) for w in args.workers.split(",")]
        if "flood" in parts:
            out["flood"] = flood(cluster, args.flood)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
