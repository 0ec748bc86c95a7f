"""Benchmark the webhook receiver: ack latency at a fixed delivery rate, against ``quorum serve``
running as a subprocess on loopback and talking to the shared fake GitHub (served by this process).

Usage::

    python evals/bench/bench_webhook.py [--rate 200] [--seconds 10] [--prs 40] [--workers 2]

The load is open-loop: delivery i is sent at ``t0 + i / rate`` whatever happened to earlier ones
(16 sender threads with keep-alive connections), so a slow server shows up as latency, not as a
lower rate. The mix per PR: ``opened``, then ``synchronize`` deliveries each preceded by a push to
the fake (so heads really move and reviews get superseded), comments without a command, events
Quorum ignores (``labeled``, ``star``), and about 5% replays of an earlier delivery id. Latency is
measured from just before the request is written to the full response, per delivery. The
server's CPU time during the load, its own per-delivery time from its log (``server_ingest_ms``)
and the load average are reported too: on a shared machine wall-clock latency depends on what
else runs, CPU per delivery much less.

After the load the benchmark waits for the queue to drain and checks, from the server's database
and the fake's records: every distinct delivery id is stored once (none lost), no job failed, at
most one decision and one ``quorum`` check run per (PR, head SHA) (none reviewed twice), and every
PR's final head has a decision. Prints one JSON object; exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from bot.app.runtime import default_jobs_url
from bot.audit import DecisionStore
from bot.core.webhook import sign
from bot.jobs import JobStore
from bot.testing.fake_github import FakeGitHub

SECRET = "bench-secret"
REPO = "bench/widgets"
INSTALLATION = 7


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pr_payload(fake: FakeGitHub, number: int, action: str) -> dict:
    pull = fake.repos[REPO].pulls[number]
    return {
        "action": action, "number": number,
        "pull_request": {"number": number, "state": "open", "draft": False, "title": pull.title, "body": pull.body,
                         "user": {"login": pull.user, "type": "User"},
                         "head": {"ref": pull.head_ref, "sha": pull.head_sha},
                         "base": {"ref": pull.base_ref, "sha": pull.base_sha}},
        "repository": {"full_name": REPO}, "installation": {"id": INSTALLATION},
        "sender": {"login": pull.user, "type": "User"},
    }


class Plan:
    """Builds deliveries lazily (pushes happen just before a synchronize is sent)."""

    def __init__(self, fake: FakeGitHub, prs: int, total: int, seed: int) -> None:
        self.fake = fake
        self.rng = random.Random(seed)
        self.prs = prs
        self.total = total
        self.sent: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        self.pushes = 0

    def make(self, i: int) -> tuple[str, str, bytes]:
        """Delivery i: ``(delivery_id, event, body)``."""
        with self.lock:
            if i < self.prs:
                number = i + 1
                item = (str(uuid.uuid4()), "pull_request", json.dumps(_pr_payload(self.fake, number, "opened")).encode())
            elif self.sent and self.rng.random() < 0.05:
                item = self.rng.choice(self.sent)  # a replay: same delivery id, same body
            else:
                number = self.rng.randint(1, self.prs)
                roll = self.rng.random()
                if roll < 0.5:
                    self.fake.push(REPO, number, {f"docs/pr{number}.md": f"# PR {number}\n\nrevision {i}\n"})
                    self.pushes += 1
                    body = _pr_payload(self.fake, number, "synchronize")
                    event = "pull_request"
                elif roll < 0.75:
                    body = {"action": "created", "issue": {"number": number, "pull_request": {"url": "x"}},
                            "comment": {"id": i, "body": "Looks good to me", "user": {"login": "maria", "type": "User"}},
                            "repository": {"full_name": REPO}, "installation": {"id": INSTALLATION},
                            "sender": {"login": "maria", "type": "User"}}
                    event = "issue_comment"
                elif roll < 0.9:
                    body = _pr_payload(self.fake, number, "labeled")
                    event = "pull_request"
                else:
                    body = {"action": "created", "repository": {"full_name": REPO}, "sender": {"login": "x"}}
                    event = "star"
                item = (str(uuid.uuid4()), event, json.dumps(body).encode())
            self.sent.append(item)
            return item


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux ``/proc/<pid>/stat``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_ingest_ms(log_path: Path) -> list[float]:
    """``elapsed_ms`` of each ``webhook.accepted`` / ``webhook.duplicate`` line of the server's log:
    the server-side time from the body received to the answer (verify, parse, plan, commit)."""
    out: list[float] = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") in ("webhook.accepted", "webhook.duplicate"):
            out.append(float(entry.get("elapsed_ms", 0.0)))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q * (len(ordered) - 1)))))
    return round(ordered[k], 2)


def run(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="quorum-bench-"))
    db_url = f"sqlite:///{tmp / 'quorum.sqlite3'}"
    port = _free_port()
    with FakeGitHub() as fake:
        fake.add_repo(REPO, INSTALLATION, {"README.md": "# Bench\n", "docs/index.md": "# Docs\n"})
        for n in range(1, args.prs + 1):
            fake.open_pull(REPO, {f"docs/pr{n}.md": f"# PR {n}\n"}, title=f"docs: page {n}", body="Adds a page.")
        env = dict(os.environ)
        env.update({
            "QUORUM_WEBHOOK_SECRET": SECRET, "QUORUM_GITHUB_APP_ID": str(fake.app_id),
            "QUORUM_GITHUB_PRIVATE_KEY": fake.private_key_pem, "QUORUM_GITHUB_API_URL": fake.base_url,
            "QUORUM_DATABASE_URL": db_url, "QUORUM_DATA_DIR": str(tmp / "data"), "QUORUM_CACHE_DIR": str(tmp / "cache"),
            "QUORUM_HOST": "127.0.0.1", "QUORUM_PORT": str(port), "QUORUM_WORKERS": str(args.workers),
            "QUORUM_GITHUB_WRITE_INTERVAL_S": "0",
        })
        env.pop("QUORUM_MODEL", None)
        log_path = tmp / "serve.log"
        with open(log_path, "wb") as log_file:
            server = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "serve"], env=env, stdout=log_file,
                                      stderr=subprocess.STDOUT)
        try:
            return _drive(args, fake, server, port, db_url, log_path)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def _drive(args: argparse.Namespace, fake: FakeGitHub, server: subprocess.Popen, port: int, db_url: str,
           log_path: Path) -> dict:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"quorum serve did not start; see {log_path}")
        time.sleep(0.1)
    total = int(args.rate * args.seconds)
    plan = Plan(fake, args.prs, total, args.seed)
    latencies: list[float | None] = [None] * total
    statuses: list[int] = [0] * total
    ids: list[str] = [""] * total
    next_index = iter(range(total))
    index_lock = threading.Lock()
    t0 = time.perf_counter() + 0.5

    def sender() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with index_lock:
                    i = next(next_index, None)
                if i is None:
                    return
                delivery, event, body = plan.make(i)
                delay = t0 + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
                           "X-Hub-Signature-256": sign(SECRET.encode(), body)}
                start = time.perf_counter()
                r = client.post("/webhook", content=body, headers=headers)
                latencies[i] = (time.perf_counter() - start) * 1000
                statuses[i] = r.status_code
                ids[i] = delivery

    load_before = os.getloadavg()
    cpu_before = _proc_cpu_s(server.pid)
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(args.senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    send_s = time.perf_counter() - t0
    cpu_during = _proc_cpu_s(server.pid) - cpu_before
    load_after = os.getloadavg()
    jobs = JobStore(default_jobs_url(db_url))
    decisions = DecisionStore(db_url)
    drain_start = time.perf_counter()
    drained = False
    while time.perf_counter() - drain_start < args.drain_timeout:
        counts = jobs.counts()
        if counts.get("queued", 0) == 0 and counts.get("running", 0) == 0:
            drained = True
            break
        time.sleep(0.25)
    drain_s = time.perf_counter() - drain_start
    counts = jobs.counts()
    distinct = set(ids)
    stored = jobs.delivery_count()
    lost = len(distinct) - stored
    records = decisions.list(kind="decision", limit=None)
    per_head = Counter((r["pr_number"], r["head_sha"]) for r in records)
    checks = Counter(c["head_sha"] for c in fake.check_runs(REPO))
    finals = {n: p.head_sha for n, p in fake.repos[REPO].pulls.items()}
    undecided = [n for n, sha in finals.items() if (n, sha) not in per_head]
    ok_lat = [x for x in latencies if x is not None]
    result = {
        "benchmark": "webhook_ack",
        "rate_target_per_s": args.rate,
        "rate_achieved_per_s": round(total / send_s, 1),
        "deliveries_sent": total,
        "distinct_delivery_ids": len(distinct),
        "replays": total - len(distinct),
        "statuses": dict(Counter(statuses)),
        "ack_ms": {"p50": _percentile(ok_lat, 0.50), "p90": _percentile(ok_lat, 0.90),
                   "p99": _percentile(ok_lat, 0.99), "max": round(max(ok_lat), 2),
                   "mean": round(statistics.fmean(ok_lat), 2)},
        "stored_deliveries": stored,
        "lost": lost,
        "pushes": plan.pushes,
        "jobs": counts,
        "decisions": len(records),
        "reviewed_twice": sum(1 for v in per_head.values() if v > 1) + sum(1 for v in checks.values() if v > 1),
        "final_heads_undecided": undecided,
        "failed_jobs": [j["note"] for j in jobs.all_jobs(status="failed")][:10],
        "drained": drained,
        "drain_s": round(drain_s, 1),
        "server_cpu_s_during_load": round(cpu_during, 2),
        "server_cpu_ms_per_delivery": round(cpu_during * 1000 / total, 2),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "workers": args.workers,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "server_log": str(log_path),
    }
    server_side = _server_ingest_ms(log_path)
    if server_side:
        result["server_ingest_ms"] = {"p50": _percentile(server_side, 0.5), "p90": _percentile(server_side, 0.9),
                                      "p99": _percentile(server_side, 0.99), "max": round(max(server_side), 2)}
    result["ok"] = bool(lost == 0 and drained and counts.get("failed", 0) == 0 and result["reviewed_twice"] == 0
                        and not undecided and set(result["statuses"]) <= {200, 202})
    jobs.close()
    decisions.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--prs", type=int, default=40, help="pull requests the deliveries are about")
    parser.add_argument("--workers", type=int, default=2, help="review worker threads of quorum serve")
    parser.add_argument("--senders", type=int, default=16, help="sender threads (keep-alive connections)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for the queue to drain")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
