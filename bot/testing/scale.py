"""A fleet of real Quorum processes against the fake GitHub: receivers, workers, signed senders.

Shared by the scale-out tests (tests/scale) and the benchmarks (evals/bench/bench_scale.py). Each
process is ``python -m bot.cli.main ...`` with its configuration in ``QUORUM_*`` variables, exactly
as an operator would run it; ``kill`` sends SIGKILL. Never used by production code.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.core.webhook import sign
from bot.testing.fake_github import FakeGitHub

SECRET = "scale-test-secret"


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fleet_env(fake: FakeGitHub, tmp: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of every process of one deployment (``database_url`` None: embedded SQLite)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUORUM_")}
    env.update({
        "QUORUM_WEBHOOK_SECRET": SECRET,
        "QUORUM_GITHUB_APP_ID": str(fake.app_id),
        "QUORUM_GITHUB_PRIVATE_KEY": fake.private_key_pem,
        "QUORUM_GITHUB_API_URL": fake.base_url,
        "QUORUM_DATA_DIR": str(tmp / "data"),
        "QUORUM_CACHE_DIR": str(tmp / "cache"),
        "QUORUM_GITHUB_WRITE_INTERVAL_S": "0",
        "QUORUM_GITHUB_WRITES_PER_MINUTE": "100000",
        "QUORUM_GITHUB_WRITES_PER_HOUR": "1000000",
        "QUORUM_WORKER_LEASE_S": "4",
        "PYTHONUNBUFFERED": "1",
    })
    if database_url:
        env["QUORUM_DATABASE_URL"] = database_url
    if fake.git is not None:  # review history: the App's mirrors fetch from the fake's git repositories
        env["QUORUM_GIT_URL"] = fake.git_url
    env.update(extra)
    return env


@dataclass
class Proc:
    """One started process: its role, port (receivers), Popen handle and log file."""

    role: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.popen.poll() is None


@dataclass
class Fleet:
    """Starts and stops the processes of one deployment (see the module docstring)."""

    env: dict[str, str]
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    def _start(self, role: str, args: list[str], port: int | None = None) -> Proc:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{role}-{len(self.procs)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen([sys.executable, "-m", "bot.cli.main", *args], env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        proc = Proc(role, popen, log, port)
        self.procs.append(proc)
        return proc

    def cli(self, *args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess:
        """Run one ``quorum`` command to completion."""
        return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout_s, check=False)

    def receiver(self, *, workers: int = 0) -> Proc:
        """``quorum serve --workers N`` on a free port; returns once ``/healthz`` answers."""
        port = free_port()
        proc = self._start("receiver", ["serve", "--workers", str(workers), "--port", str(port)], port)
        wait_healthy(proc)
        return proc

    def worker(self, threads: int = 2) -> Proc:
        """``quorum worker --threads N``."""
        return self._start("worker", ["worker", "--threads", str(threads)])

    def kill(self, proc: Proc) -> None:
        """SIGKILL the process (no clean-up of any kind)."""
        if proc.alive():
            os.kill(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(10)

    def stop_all(self) -> None:
        """SIGTERM every live process (and its process group), SIGKILL what is left after 15 s."""
        for proc in self.procs:
            if proc.alive():
                os.killpg(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs:
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(5)


def wait_healthy(proc: Proc, timeout_s: float = 60.0) -> None:
    """Wait until ``GET /healthz`` answers; RuntimeError with the log's tail if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.role} exited {proc.popen.returncode}: {proc.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{proc.port}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{proc.role} did not become healthy: {proc.log.read_text()[-2000:]}")


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux ``/proc``)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def pr_payload(fake: FakeGitHub, repo: str, number: int, action: str, installation: int) -> dict[str, Any]:
    """A ``pull_request`` delivery for the fake's current state of the PR."""
    r = fake.repos[repo]
    pull = r.pulls[number]
    return {
        "action": action, "number": number,
        "pull_request": {"number": number, "state": pull.state, "draft": pull.draft, "title": pull.title,
                         "body": pull.body, "user": {"login": pull.user, "type": "User"},
                         "head": {"ref": pull.head_ref, "sha": pull.head_sha},
                         "base": {"ref": pull.base_ref, "sha": pull.base_sha}},
        "repository": {"full_name": repo, "default_branch": r.default_branch},
        "installation": {"id": installation}, "sender": {"login": pull.user, "type": "User"},
    }


@dataclass
class Sent:
    """What a sender got back for one delivery."""

    delivery_id: str
    status: int | None
    ack_ms: float
    port: int | None


def send(client: httpx.Client, ports: list[int], payload: dict[str, Any], *, event: str = "pull_request",
         delivery_id: str | None = None, attempts: int = 6) -> Sent:
    """POST one signed delivery, trying the receivers in turn (as GitHub redelivers after a failure:
    same delivery id). ``status`` is the first 2xx, or the last answer / None when none answered."""
    body = json.dumps(payload).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id, "Content-Type": "application/json",
               "X-Hub-Signature-256": sign(SECRET.encode(), body)}
    status: int | None = None
    for attempt in range(attempts):
        port = ports[(hash(delivery_id) + attempt) % len(ports)]
        started = time.perf_counter()
        try:
            r = client.post(f"http://127.0.0.1:{port}/webhook", content=body, headers=headers, timeout=10.0)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        status = r.status_code
        if 200 <= status < 300:
            return Sent(delivery_id, status, (time.perf_counter() - started) * 1000, port)
        time.sleep(0.05)
    return Sent(delivery_id, status, 0.0, None)


__all__ = ["SECRET", "Fleet", "Proc", "Sent", "child_pids", "fleet_env", "free_port", "pr_payload", "send",
           "wait_healthy"]
