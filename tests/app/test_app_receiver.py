"""POST /webhook: signatures, malformed and oversized bodies, replays, unknown events; GET /healthz."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from bot.app.main import create_app
from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

from bot.core.webhook import sign

from app_helpers import REPO, SECRET, deliver, make_runtime, pr_payload


def _events(logs: list[dict], name: str) -> list[dict]:
    return [e for e in logs if e["event"] == name]


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_bad_missing_and_sha1_only_signatures_rejected(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nMore.\n"})
    body = json.dumps(pr_payload(fake, 1)).encode()
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    with capture_logs() as logs:
        wrong = deliver(client, "pull_request", body, secret="not-the-secret")
        tampered = deliver(client, "pull_request", body + b" ", signature=sign(SECRET.encode(), body))
        missing = client.post("/webhook", content=body, headers={"X-GitHub-Event": "pull_request",
                                                                 "X-GitHub-Delivery": "d-missing"})
        only_sha1 = client.post("/webhook", content=body, headers={"X-GitHub-Event": "pull_request",
                                                                   "X-GitHub-Delivery": "d-sha1", "X-Hub-Signature": sha1})
    assert [r.status_code for r in (wrong, tampered, missing, only_sha1)] == [401, 401, 401, 401]
    reasons = [e["reason"] for e in _events(logs, "webhook.rejected")]
    assert reasons == ["signature does not match", "signature does not match", "missing X-Hub-Signature-256",
                       "only a sha1 signature (X-Hub-Signature); sha256 is required"]
    assert runtime.jobs.delivery_count() == 0 and runtime.jobs.all_jobs() == []
    assert deliver(client, "pull_request", body).status_code == 202  # control: the same body, signed right


def test_malformed_json_is_rejected_with_a_reason(client: TestClient, runtime: Runtime) -> None:
    with capture_logs() as logs:
        r = deliver(client, "pull_request", b'{"action": "opened", ')
        r2 = deliver(client, "pull_request", json.dumps({"action": "opened", "number": 1}).encode())
    assert r.status_code == 400 and "malformed JSON" in r.json()["error"]
    assert r2.status_code == 400 and "pull_request payload" in r2.json()["error"]
    reasons = [e["reason"] for e in _events(logs, "webhook.malformed")]
    assert "malformed JSON" in reasons[0] and "pull_request: Field required" in reasons[1]
    assert runtime.jobs.delivery_count() == 2  # stored as rejected deliveries: nothing is lost


def test_oversized_bodies_rejected(fake: FakeGitHub, tmp_path: Path) -> None:
    rt = make_runtime(fake, tmp_path, max_body_bytes=2000)
    try:
        with TestClient(create_app(rt, start_workers=False)) as tc, capture_logs() as logs:
            big = b'{"pad": "' + b"x" * 5000 + b'"}'
            declared = deliver(tc, "pull_request", big)
            streamed = tc.post("/webhook", content=iter([big[:1500], big[1500:]]),
                               headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-chunked",
                                        "X-Hub-Signature-256": sign(SECRET.encode(), big)})
        assert declared.status_code == 413 and streamed.status_code == 413
        assert len(_events(logs, "webhook.rejected")) == 2
        assert all("larger than 2000 bytes" in e["reason"] for e in _events(logs, "webhook.rejected"))
        assert rt.jobs.delivery_count() == 0
    finally:
        rt.close()


def test_replayed_delivery_is_acknowledged_once(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nReplay.\n"})
    payload = pr_payload(fake, 1)
    with capture_logs() as logs:
        first = deliver(client, "pull_request", payload, delivery="same-guid")
        second = deliver(client, "pull_request", payload, delivery="same-guid")
    assert first.status_code == 202 and second.status_code == 200 and second.json()["status"] == "duplicate"
    assert len(_events(logs, "webhook.duplicate")) == 1
    assert runtime.pool.drain(30)
    assert len(runtime.jobs.all_jobs()) == 1
    assert len(runtime.decisions.list(kind="decision")) == 1


def test_unknown_events_and_actions_acknowledged_and_ignored(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nLabels.\n"})
    r1 = deliver(client, "star", {"action": "created", "repository": {"full_name": REPO}})
    r2 = deliver(client, "pull_request", pr_payload(fake, 1, "labeled"))
    r3 = deliver(client, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert [r.status_code for r in (r1, r2, r3)] == [202, 202, 202]
    assert all(r.json()["status"] == "ignored" for r in (r1, r2, r3))
    assert runtime.jobs.all_jobs() == [] and runtime.jobs.delivery_count() == 3


def test_missing_delivery_header_rejected(client: TestClient) -> None:
    r = deliver(client, "ping", {"zen": "x"}, extra_headers={"X-GitHub-Delivery": ""})
    assert r.status_code == 400


def test_large_valid_payload_is_verified_off_the_event_loop(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nBig body.\n"})
    payload = pr_payload(fake, pull.number, "labeled")
    payload["pull_request"]["body"] = "x" * 400_000  # larger than the inline threshold
    r = deliver(client, "pull_request", payload)
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert runtime.jobs.delivery_count() == 1
