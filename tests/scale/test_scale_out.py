"""Scale-out end to end: real receiver and worker processes, signed deliveries, kill -9 mid-run.

On PostgreSQL (a cluster this test session starts): 2 ``quorum serve --workers 0`` receivers and
2 ``quorum worker`` processes. On the embedded default (no database configured): one
``quorum serve`` with its worker child. Both get the same traffic: dozens of PRs in two
installations, repeated pushes, replayed delivery ids; a worker and a receiver are killed with
SIGKILL mid-run. Then: every acknowledged delivery is stored, every final head has exactly one
decision, no head has two approvals, no approval stands on a superseded head, the chain verifies.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.audit import DecisionStore
from bot.jobs import JobStore
from bot.testing.fake_github import FakeGitHub
from bot.testing.scale import Fleet, Sent, child_pids, fleet_env, pr_payload, send

pytestmark = pytest.mark.slow

BASE = {"README.md": "# Project\n", "docs/guide.md": "# Guide\n", "src/app.py": "def f():\n    return 1\n"}
INSTALLATIONS = {"acme/widgets": 42, "umbrella/corp": 43}
PRS_PER_REPO = 12


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(git_root=tmp_path / "git") as server:
        for repo, inst in INSTALLATIONS.items():
            server.add_repo(repo, inst, BASE)
        yield server


class Traffic:
    """Drives PRs through opened / synchronize deliveries and records what was acknowledged."""

    def __init__(self, fake: FakeGitHub, ports: Callable[[], list[int]]) -> None:
        self.fake = fake
        self.ports = ports
        self.sent: list[Sent] = []
        self.prs: list[tuple[str, int]] = []
        self.superseded: dict[tuple[str, int], set[str]] = {}
        self.client = httpx.Client()
        self.rng = random.Random(11)

    def open_all(self) -> None:
        for repo in INSTALLATIONS:
            for i in range(PRS_PER_REPO):
                pull = self.fake.open_pull(repo, {f"docs/page{i}.md": f"# Page {i}\n"}, title=f"docs: page {i}")
                self.prs.append((repo, pull.number))

    def deliver(self, items: list[tuple[str, int, str]]) -> None:
        payloads = [(pr_payload(self.fake, repo, n, action, INSTALLATIONS[repo]), None) for repo, n, action in items]
        with ThreadPoolExecutor(8) as pool:
            self.sent += list(pool.map(lambda p: send(self.client, self.ports(), p[0], delivery_id=p[1]), payloads))

    def push(self, share: float) -> list[tuple[str, int, str]]:
        out = []
        for repo, n in self.rng.sample(self.prs, int(len(self.prs) * share)):
            old = self.fake.repos[repo].pulls[n].head_sha
            self.fake.push(repo, n, {f"docs/extra{n}.md": f"# Extra {time.monotonic_ns()}\n"})
            self.superseded.setdefault((repo, n), set()).add(old)
            out.append((repo, n, "synchronize"))
        return out

    def replay(self, count: int) -> None:
        acked = [s for s in self.sent if s.status and 200 <= s.status < 300]
        for s in self.rng.sample(acked, min(count, len(acked))):
            repo, n = self.rng.choice(self.prs)
            again = send(self.client, self.ports(), pr_payload(self.fake, repo, n, "opened", INSTALLATIONS[repo]),
                         delivery_id=s.delivery_id)
            assert again.status == 200, again  # a replayed delivery id is answered as a duplicate
            self.sent.append(again)

    def final_heads(self) -> dict[tuple[str, int], str]:
        return {(repo, n): self.fake.repos[repo].pulls[n].head_sha for repo, n in self.prs}


def _approvals(fake: FakeGitHub) -> Counter:
    posted: Counter = Counter()
    for call in fake.calls("POST", r"/pulls/\d+/reviews$"):
        if call.status == 200 and (call.body or {}).get("event") == "APPROVE":
            m = re.search(r"/repos/(.+)/pulls/(\d+)/reviews$", call.path)
            posted[(m.group(1), int(m.group(2)), call.body.get("commit_id"))] += 1
    return posted


def _settled(traffic: Traffic, decisions: DecisionStore, idle: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        decided = {(d["repo"], d["pr_number"], d["head_sha"]) for d in decisions.list(kind="decision", limit=None)}
        if all((r, n, h) in decided for (r, n), h in traffic.final_heads().items()) and idle():
            return True
        time.sleep(0.5)
    return False


def _check_outcome(traffic: Traffic, fake: FakeGitHub, decisions: DecisionStore, stored: Callable[[str], bool]) -> None:
    acked = {s.delivery_id for s in traffic.sent if s.status and 200 <= s.status < 300}
    assert len(acked) >= len(traffic.prs)
    missing = [d for d in acked if not stored(d)]
    assert missing == [], "acknowledged deliveries not stored"
    records = decisions.list(kind="decision", limit=None)
    per_head = Counter((d["repo"], d["pr_number"], d["head_sha"]) for d in records)
    for (repo, n), head in traffic.final_heads().items():
        assert per_head[(repo, n, head)] == 1, f"{repo}#{n}@{head[:7]}: {per_head[(repo, n, head)]} decisions"
    assert all(count == 1 for count in per_head.values()), per_head.most_common(3)
    approvals = _approvals(fake)
    assert approvals, "the docs-only PRs should have been approved"
    assert max(approvals.values()) == 1, approvals.most_common(3)
    for (repo, n), head in traffic.final_heads().items():
        standing = [r for r in fake.reviews(repo, n) if r["state"] == "APPROVED"]
        assert all(r["commit_id"] == head for r in standing), f"{repo}#{n}: approval on a superseded head"
    report = decisions.verify()
    assert report.ok and report.checked >= len(records), report


def _scenario(traffic: Traffic, kill_worker: Callable[[], None], kill_receiver: Callable[[], None], *,
              kill_receiver_while_sending: bool) -> None:
    traffic.open_all()
    traffic.deliver([(r, n, "opened") for r, n in traffic.prs])
    deadline = time.monotonic() + 60  # kill a worker once reviews are flowing (mid-run)
    while time.monotonic() < deadline and sum(len(traffic.fake.reviews(r, n)) for r, n in traffic.prs) < 3:
        time.sleep(0.1)
    kill_worker()
    pushes = traffic.push(0.5)
    if kill_receiver_while_sending:  # requests in flight to it fail; senders redeliver to the other one
        killer = threading.Timer(0.2, kill_receiver)
        killer.start()
        traffic.deliver(pushes)
        killer.join()
    else:
        traffic.deliver(pushes)
        kill_receiver()
    traffic.replay(6)
    traffic.deliver(traffic.push(0.25))


@pytest.mark.postgres
def test_two_receivers_two_workers_on_postgresql_survive_kill_9(fake: FakeGitHub, pg_cluster, tmp_path: Path) -> None:  # noqa: ANN001
    url = pg_cluster.new_log_url()
    fleet = Fleet(fleet_env(fake, tmp_path, url), tmp_path / "logs")
    assert "run `quorum db upgrade`" in fleet.cli("worker").stderr  # refuses an out-of-date schema, in one line
    upgraded = fleet.cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    receivers = [fleet.receiver(), fleet.receiver()]
    workers = [fleet.worker(2), fleet.worker(2)]
    from bot.jobs.pg import PgJobStore

    store, decisions = PgJobStore(url), DecisionStore(url)
    try:
        traffic = Traffic(fake, lambda: [p.port for p in receivers if p.alive()])
        _scenario(traffic, lambda: fleet.kill(workers[0]), lambda: fleet.kill(receivers[0]),
                  kill_receiver_while_sending=True)
        assert _settled(traffic, decisions, lambda: store.runnable(include_delayed=True) == 0, 150), \
            f"not settled: {store.counts()}; {workers[1].log.read_text()[-1500:]}"
        traffic.client.close()
        _check_outcome(traffic, fake, decisions, lambda d: store.delivery(d) is not None)
        assert workers[1].alive() and receivers[1].alive()
        listed = fleet.cli("jobs", "list", "--status", "done", "--limit", "5")
        assert listed.returncode == 0 and "done" in listed.stdout
    finally:
        fleet.stop_all()
        store.close()
        decisions.close()


def test_embedded_default_survives_kill_9_of_its_worker_and_web_process(fake: FakeGitHub, tmp_path: Path) -> None:
    fleet = Fleet(fleet_env(fake, tmp_path, None, QUORUM_WORKERS="2"), tmp_path / "logs")
    serve = [fleet.receiver(workers=2)]
    jobs_path = tmp_path / "data" / "decisions.jobs.sqlite3"
    decisions = DecisionStore(f"sqlite:///{tmp_path / 'data' / 'decisions.sqlite3'}")

    def kill_worker_child() -> None:
        (child,) = [pid for pid in child_pids(serve[0].popen.pid)
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        os.kill(child, signal.SIGKILL)  # the web process restarts its worker child

    def kill_and_restart_web() -> None:
        fleet.kill(serve[0])  # its worker child may still be finishing a job: it must not run twice
        serve[0] = fleet.receiver(workers=2)

    store = None
    try:
        traffic = Traffic(fake, lambda: [serve[0].port])
        _scenario(traffic, kill_worker_child, kill_and_restart_web, kill_receiver_while_sending=False)
        store = JobStore(f"sqlite:///{jobs_path}")
        assert _settled(traffic, decisions, lambda: store.runnable(include_delayed=True) == 0, 150), \
            f"not settled: {store.counts()}"
        traffic.client.close()
        _check_outcome(traffic, fake, decisions, lambda d: store.delivery(d) is not None)
    finally:
        fleet.stop_all()
        if store is not None:
            store.close()
        decisions.close()
