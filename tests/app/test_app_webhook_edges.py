"""Hostile webhook deliveries against a real ``quorum serve`` process: unsigned giant bodies are
refused before they are read, slow bodies time out, and every signed body that cannot be decoded
gets a 400 and is stored as a rejected delivery (nothing lost, no 500, no traceback)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_helpers import BASE_FILES, INSTALLATION, REPO, SECRET, pr_payload
from serve_process import Served, serve

from bot.core.webhook import sign
from bot.jobs import JobStore
from bot.testing.fake_github import FakeGitHub

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, FakeGitHub]]:
    tmp = tmp_path_factory.mktemp("serve")
    with FakeGitHub(git_root=tmp / "git") as fake:
        fake.add_repo(REPO, INSTALLATION, BASE_FILES)
        with serve(fake, tmp, QUORUM_WEBHOOK_READ_TIMEOUT_S="2") as server:
            yield server, fake


def signed_headers(body: bytes, event: str = "pull_request", delivery: str | None = None) -> dict[str, str]:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(SECRET.encode(), body), "Content-Type": "application/json"}


def raw_post_partial(port: int, headers: dict[str, str], declared: int, send: int) -> tuple[bytes, int]:
    """Send the request head declaring ``declared`` body bytes, then only ``send`` of them; return
    the response head and how many body bytes were actually sent before it arrived."""
    head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {declared}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        sent = 0
        chunk = b"x" * 16384
        try:
            while sent < send:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                got = sock.recv(65536)
                if not got:
                    break
                data += got
        except ConnectionResetError:
            pass
        return data, sent


def stored(server: Served, delivery: str) -> dict | None:
    store = JobStore(server.jobs_url)
    try:
        return store.delivery(delivery)
    finally:
        store.close()


def test_unsigned_24mb_body_is_refused_before_it_is_read(served: tuple[Served, FakeGitHub]) -> None:
    server, _ = served
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "unsigned-1", "Content-Type": "application/json"}
    response, sent = raw_post_partial(server.port, headers, declared=24 * MIB, send=64 * 1024)
    assert response.startswith(b"HTTP/1.1 401"), response[:200]
    assert sent <= 64 * 1024  # answered with 24 MB still unsent: the body was never needed
    assert stored(server, "unsigned-1") is None


def test_sixteen_concurrent_unsigned_giants_are_all_refused(served: tuple[Served, FakeGitHub]) -> None:
    server, _ = served
    answers: list[bytes] = []

    def one(i: int) -> None:
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": f"flood-{i}"}
        answers.append(raw_post_partial(server.port, headers, declared=24 * MIB, send=0)[0])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 16 and all(a.startswith(b"HTTP/1.1 401") for a in answers)
    assert server.proc.poll() is None


@pytest.mark.parametrize("signature", ["sha256=zz", "sha1=" + "0" * 40, "sha256=" + "0" * 63, "", "sha256= " + "0" * 64])
def test_malformed_signature_headers_are_refused_before_the_body(served: tuple[Served, FakeGitHub],
                                                                 signature: str) -> None:
    server, _ = served
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "bad-sig", "X-Hub-Signature-256": signature}
    response, _ = raw_post_partial(server.port, headers, declared=8 * MIB, send=0)
    assert response.startswith(b"HTTP/1.1 401"), response[:200]


def test_missing_event_header_is_refused_before_the_body(served: tuple[Served, FakeGitHub]) -> None:
    server, _ = served
    headers = {"X-GitHub-Delivery": "no-event", "X-Hub-Signature-256": "sha256=" + "0" * 64}
    response, _ = raw_post_partial(server.port, headers, declared=8 * MIB, send=0)
    assert response.startswith(b"HTTP/1.1 400"), response[:200]


def test_body_that_stalls_times_out(served: tuple[Served, FakeGitHub]) -> None:
    server, _ = served
    body = json.dumps({"zen": "x"}).encode()
    headers = signed_headers(body, event="ping", delivery="stall-1")
    started = time.monotonic()
    response, _ = raw_post_partial(server.port, headers, declared=len(body) + 1000, send=0)
    assert response.startswith(b"HTTP/1.1 408"), response[:200]
    assert time.monotonic() - started < 30  # bounded by the socket timeout, not a speed target
    assert stored(server, "stall-1") is None


def test_declared_size_over_the_cap_is_refused(served: tuple[Served, FakeGitHub]) -> None:
    server, _ = served
    headers = signed_headers(b"{}", delivery="huge-declared")
    response, _ = raw_post_partial(server.port, headers, declared=26 * 1024 * 1024, send=0)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]


HOSTILE = {
    "deep-nesting": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge-integer": b'{"number": ' + b"9" * 10_000 + b"}",
    "invalid-utf8": b'{"action": "opened", "x": "\xff\xfe"}',
    "deep-array": b'{"action": "opened", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "top-level-array": b"[1, 2, 3]",
    "truncated-json": b'{"action": "opened", "pull_request": {',
    "nan-and-garbage": b'{"action": NaN}\x00\x00',
    "wrong-shape": json.dumps({"action": "opened", "pull_request": {"number": "not-a-number"}}).encode(),
    "huge-float-exponent": b'{"action": "opened", "number": 1e999999}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_undecodable_signed_body_is_400_and_stored(served: tuple[Served, FakeGitHub], name: str) -> None:
    server, _ = served
    body = HOSTILE[name]
    delivery = f"hostile-{name}"
    status, answer = server.post(body, signed_headers(body, delivery=delivery))
    assert status == 400, answer
    payload = json.loads(answer)
    assert payload["stored"] is True and "\n" not in payload["error"] and "Traceback" not in payload["error"]
    row = stored(server, delivery)
    assert row is not None and row["body"] == body and row["note"].startswith("rejected:")
    assert row["jobs"] == 0
    # Redelivered: still a 400, still one stored copy.
    status, _ = server.post(body, signed_headers(body, delivery=delivery))
    assert status == 400
    assert "Traceback" not in server.log_path.read_text(errors="replace")


def test_server_still_reviews_after_the_hostile_inputs(served: tuple[Served, FakeGitHub]) -> None:
    server, fake = served
    pull = fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nBetter.\n"}, title="docs: after", body="After.")
    body = json.dumps(pr_payload(fake, pull.number)).encode()
    status, answer = server.post(body, signed_headers(body, delivery="good-after"))
    assert status == 202, answer
    assert server.proc.poll() is None


def test_log_has_no_traceback(served: tuple[Served, FakeGitHub], tmp_path: Path) -> None:
    server, _ = served
    text = server.log_path.read_text(errors="replace")
    assert "Traceback" not in text and "Internal Server Error" not in text
