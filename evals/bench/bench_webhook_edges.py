"""Resident memory of a real ``quorum serve`` web process under 16 concurrent unsigned 24 MB posts.

Starts ``quorum serve`` (loopback, fake GitHub), samples the web process's VmRSS every 50 ms while
N clients each try to send a 24 MiB body with no ``X-Hub-Signature-256`` (sending the whole body
unless the server closes first), and prints JSON: RSS before, peak during, after, the answers, and
how many body bytes each client managed to send before the answer.

    .venv/bin/python evals/bench/bench_webhook_edges.py [--clients 16] [--mib 24]

Issue 9 saw 96 MB -> 421 MB before the header check moved ahead of the body read.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bot.testing.fake_github import FakeGitHub


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _client(port: int, size: int, out: list[dict], i: int) -> None:
    head = (f"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: flood-{i}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n").encode()
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        chunk = b"x" * 65536
        try:
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        try:
            answer = sock.recv(200)
        except OSError:
            pass
    out.append({"sent_bytes": sent, "answer": answer.split(b"\r\n", 1)[0].decode(errors="replace")})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--mib", type=int, default=24)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="quorum-bench-edges-"))
    port = _free_port()
    with FakeGitHub() as fake:
        env = dict(os.environ, QUORUM_WEBHOOK_SECRET="s", QUORUM_GITHUB_APP_ID=str(fake.app_id),
                   QUORUM_GITHUB_PRIVATE_KEY=fake.private_key_pem, QUORUM_GITHUB_API_URL=fake.base_url,
                   QUORUM_DATABASE_URL=f"sqlite:///{tmp / 'q.sqlite3'}", QUORUM_DATA_DIR=str(tmp / "data"),
                   QUORUM_CACHE_DIR=str(tmp / "cache"), QUORUM_HOST="127.0.0.1", QUORUM_PORT=str(port),
                   QUORUM_WORKERS="1")
        with open(tmp / "serve.log", "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "serve"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(1.0)
            before = _rss_kib(server.pid)
            peak = [before]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], _rss_kib(server.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            results: list[dict] = []
            started = time.perf_counter()
            threads = [threading.Thread(target=_client, args=(port, args.mib * 1024 * 1024, results, i))
                       for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            elapsed = time.perf_counter() - started
            time.sleep(0.5)
            stop.set()
            sampler.join()
            after = _rss_kib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps({
        "clients": args.clients, "body_mib": args.mib, "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(peak[0] / 1024, 1), "rss_after_mib": round(after / 1024, 1),
        "wall_s": round(elapsed, 2), "answers": sorted({r["answer"] for r in results}),
        "max_sent_mib": round(max(r["sent_bytes"] for r in results) / 1048576, 2),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
