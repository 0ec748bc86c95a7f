"""A real ``quorum serve`` process wired to the shared fake GitHub, for tests that need the whole
HTTP stack (uvicorn, FastAPI, the receiver, the job store) as it runs in production."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app_helpers import SECRET

from bot.testing.fake_github import FakeGitHub


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """A running server: its process, port, decision-log URL and job-store URL, and log file."""

    proc: subprocess.Popen[bytes]
    port: int
    db_url: str
    jobs_url: str
    log_path: Path

    def post(self, body: bytes, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, bytes]:
        """POST /webhook with http.client; returns (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/webhook", body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def rss_kib(self) -> int:
        """Resident set size of the web process (``VmRSS`` in /proc, KiB)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


@contextmanager
def serve(fake: FakeGitHub, tmp_path: Path, **env: str) -> Iterator[Served]:
    """Start ``python -m bot.cli.main serve`` on a free loopback port; stop it afterwards.

    Waits (bounded, 60 s) for ``GET /healthz``. ``env`` adds ``QUORUM_*`` variables.
    """
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'quorum.sqlite3'}"
    full = dict(os.environ)
    full.update({
        "QUORUM_WEBHOOK_SECRET": SECRET, "QUORUM_GITHUB_APP_ID": str(fake.app_id),
        "QUORUM_GITHUB_PRIVATE_KEY": fake.private_key_pem, "QUORUM_GITHUB_API_URL": fake.base_url,
        "QUORUM_DATABASE_URL": db_url, "QUORUM_DATA_DIR": str(tmp_path / "data"),
        "QUORUM_CACHE_DIR": str(tmp_path / "cache"), "QUORUM_HOST": "127.0.0.1", "QUORUM_PORT": str(port),
        "QUORUM_WORKERS": "1", "QUORUM_GITHUB_WRITE_INTERVAL_S": "0",
    })
    full.pop("QUORUM_MODEL", None)
    if fake.git is not None:  # review history: the mirrors fetch from the fake's git repositories
        full["QUORUM_GIT_URL"] = fake.git_url
    full.update(env)
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "serve"], env=full, stdout=log_file,
                                stderr=subprocess.STDOUT)
    served = Served(proc, port, db_url, f"sqlite:///{tmp_path / 'quorum.jobs.sqlite3'}", log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"quorum serve exited {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("quorum serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
