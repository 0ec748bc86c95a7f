"""Faulty GitHub and process restarts: retries, clear log lines, nothing lost, never an unsafe approval."""

from __future__ import annotations

import time
from pathlib import Path

from app_helpers import REPO, Sleeps, deliver, make_runtime, pr_payload
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from bot.app.main import create_app
from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}


def approvals(fake: FakeGitHub, number: int) -> list[dict]:
    return [r for r in fake.reviews(REPO, number) if r["state"] == "APPROVED"]


def test_403_429_and_5xx_are_retried_and_the_review_completes(
    client: TestClient, runtime: Runtime, fake: FakeGitHub, sleeps: Sleeps
) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: flaky", body="f")
    fake.fail("GET", r"/pulls/1$", 429, headers={"retry-after": "2"})
    fake.fail("GET", r"/compare/", 502)
    fake.fail("POST", r"/check-runs$", 403,
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 5)})
    fake.fail("POST", r"/pulls/1/reviews$", 503, times=2)
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number))
        assert runtime.pool.drain(30)
    (approval,) = approvals(fake, pull.number)
    assert approval["commit_id"] == pull.head_sha
    retries = [(e["status"], e["what"].split(" ")[0]) for e in logs if e["event"] == "github.retry"]
    assert sorted(retries) == sorted([(429, "GET"), (502, "GET"), (403, "POST"), (503, "POST"), (503, "POST")])
    assert len(sleeps.waits) == 5 and any(2.0 <= w <= 3.0 for w in sleeps.waits)
    assert len(runtime.decisions.list(kind="decision")) == 1


def test_long_outage_fails_the_job_without_approving(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: outage", body="o")
    fake.fail("POST", r"/pulls/1/reviews$", 503, times=1000)
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number), delivery="d-outage")
        assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    (job,) = runtime.jobs.all_jobs()
    assert job["status"] == "failed" and job["attempts"] == 5 and "503" in job["note"]
    assert any(e["event"] == "job.failed" and "gave up after 5 attempts" in e.get("reason", "") for e in logs)
    assert sum(e["event"] == "job.retry_later" for e in logs) == 4
    assert runtime.jobs.delivery("d-outage") is not None  # kept: the delivery is not lost
    assert runtime.decisions.list(kind="decision") == []  # nothing posted as approved, nothing logged as decided


def test_expired_installation_token_is_replaced(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    first = fake.open_pull(REPO, DOCS_CHANGE, title="docs: one", body="1")
    deliver(client, "pull_request", pr_payload(fake, first.number))
    assert runtime.pool.drain(30)
    fake.expire_tokens()
    second = fake.open_pull(REPO, {"docs/other.md": "# Other\n"}, title="docs: two", body="2")
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, second.number))
        assert runtime.pool.drain(30)
    assert any(e["event"] == "github.token_rejected" for e in logs)
    assert approvals(fake, second.number)
    assert len(fake.calls("POST", r"/access_tokens$")) == 2


def test_unknown_installation_is_refused_cleanly(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: stranger", body="s")
    with capture_logs() as logs:
        r = deliver(client, "pull_request", pr_payload(fake, pull.number, installation=999))
        assert r.status_code == 202
        assert runtime.pool.drain(30)
    failed = [e for e in logs if e["event"] == "job.failed"]
    assert failed and "installation 999 is not an installation of this App" in failed[0]["error"]
    assert fake.calls(None, r"^/repos/") == [] and fake.reviews(REPO, pull.number) == []
    assert runtime.jobs.all_jobs()[0]["attempts"] == 1  # not retried


def test_deleted_installation_deliveries_are_ignored(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    deliver(client, "installation", {"action": "deleted", "installation": {"id": 42, "account": {"login": "acme"}},
                                     "sender": {"login": "acme-admin"}})
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: gone", body="g")
    with capture_logs() as logs:
        r = deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert any(e["event"] == "webhook.unknown_installation" for e in logs)
    assert runtime.jobs.all_jobs() == []


def test_restart_with_jobs_in_flight_resumes_them(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: restart", body="r")
    before = make_runtime(fake, tmp_path)
    with TestClient(create_app(before, start_workers=False)) as tc:
        assert deliver(tc, "pull_request", pr_payload(fake, pull.number), delivery="d-restart").status_code == 202
        assert before.jobs.claim() is not None  # a worker took it ... and the process died
    before.close()
    time.sleep(1.2)  # the dead process no longer renews its 1 s lease
    after = make_runtime(fake, tmp_path)
    try:
        with capture_logs() as logs, TestClient(create_app(after)) as tc:
            assert after.pool.drain(30)
            assert deliver(tc, "pull_request", pr_payload(fake, pull.number), delivery="d-restart").status_code == 200
        assert any(e["event"] == "job.recovered" and e["count"] == 1 for e in logs)
        (approval,) = approvals(fake, pull.number)
        assert approval["commit_id"] == pull.head_sha
        (job,) = after.jobs.all_jobs()
        assert job["status"] == "done" and job["attempts"] == 2
        assert len(after.decisions.list(kind="decision")) == 1
    finally:
        after.close()
