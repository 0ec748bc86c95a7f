"""The App reads history from its local mirror of the repository, fetched on each webhook; when the
mirror cannot be fetched the review has no history and the risk gate fails closed (no approval)."""

from __future__ import annotations

import shutil

from app_helpers import INSTALLATION, REPO, deliver, pr_payload
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from bot.adapters.gitrun import run_git
from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}
CODE_CHANGE = {"src/widgets/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n\n"
               "def middle(lo, hi):\n    return (lo + hi) / 2\n"}


def record(runtime: Runtime, number: int) -> dict:
    (rec,) = [r for r in runtime.decisions.list(kind="decision") if r["pr_number"] == number]
    return rec


def reason(rec: dict, rule: str) -> dict:
    return next(r for r in rec["reasons"] if r["rule_id"] == rule)


def refs_of(mirror) -> dict[str, str]:  # noqa: ANN001
    out = run_git(mirror, "for-each-ref", "--format=%(refname) %(objectname)").stdout.decode().split("\n")
    return dict(line.split(" ") for line in out if line)


def approved(fake: FakeGitHub, number: int) -> bool:
    return any(r["state"] == "APPROVED" for r in fake.reviews(REPO, number))


def test_reviews_read_history_from_a_mirror_fetched_on_each_webhook(client: TestClient, runtime: Runtime,
                                                                    fake: FakeGitHub) -> None:
    fake.commit(REPO, "main", {"src/widgets/util.py": "def clamp(x, lo, hi):\n    return min(max(x, lo), hi)\n"},
                author="bob", message="fix: clamp order (#3)")
    fake.commit(REPO, "side", {"notes.md": "never fetched\n"})
    first = fake.open_pull(REPO, CODE_CHANGE, title="feat: middle", body="Adds middle().")
    deliver(client, "pull_request", pr_payload(fake, first.number))
    assert runtime.pool.drain(60)
    rec = record(runtime, first.number)
    note = rec["extra"]["history"]
    assert note["source"] == "mirror" and note["cloned"] is True and "error" not in note
    assessment = note["assessment"]
    assert assessment["status"] == "scored", assessment
    # the fix commit on the base branch was read from the mirror
    assert assessment["features"]["file_fixes_6m"] == 1.0
    mirror = runtime.settings.resolved_mirror_dir() / str(INSTALLATION) / "acme+widgets.git"
    refs = run_git(mirror, "for-each-ref", "--format=%(refname) %(objectname)").stdout.decode().split("\n")
    assert sorted(filter(None, refs)) == sorted([f"refs/heads/main {fake.repos[REPO].branches['main']}",
                                                 f"refs/pull/{first.number}/head {first.head_sha}"])
    # a second PR on the same base: the mirror already holds its history, nothing is fetched
    second = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wiser", body="Wording.")
    deliver(client, "pull_request", pr_payload(fake, second.number))
    assert runtime.pool.drain(60)
    note = record(runtime, second.number)["extra"]["history"]
    assert note["source"] == "mirror" and note["cloned"] is False and note["fetched"] is False
    assert approved(fake, second.number)
    # the base branch moves: the next review fetches into the same mirror (no second clone)
    fake.merge_pull(REPO, first.number)
    third = fake.open_pull(REPO, {"README.md": "# Widgets\n\nSmall parts.\n"}, title="docs: readme", body="Say more.")
    deliver(client, "pull_request", pr_payload(fake, third.number))
    assert runtime.pool.drain(60)
    note = record(runtime, third.number)["extra"]["history"]
    assert note["cloned"] is False and note["fetched"] is True and "error" not in note
    assert refs_of(mirror)["refs/heads/main"] == fake.repos[REPO].branches["main"]


def test_a_failed_fetch_means_no_history_and_no_approval(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: clarify the guide", body="Clarify wording.")
    remote = fake.git.root / f"{REPO}.git"  # type: ignore[union-attr]
    shutil.move(remote, remote.with_name("gone.git"))  # GitHub unreachable, from the mirror's side
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number))
        assert runtime.pool.drain(60)
    assert not approved(fake, pull.number)
    rec = record(runtime, pull.number)
    assert rec["action"] != "approve" and rec["extra"]["approved"] is False
    gate = reason(rec, "risk.probability")
    assert "history unavailable: mirror of acme/widgets: git fetch failed" in gate["message"]
    assert rec["extra"]["history"]["assessment"]["status"] == "error"
    assert "git fetch failed" in rec["extra"]["history"]["error"]
    assert any(e["event"] == "review.history_unavailable" for e in logs)
    (run,) = fake.check_runs(REPO)
    assert "history unavailable" in run["output"]["summary"]


def test_a_policy_without_the_risk_gate_fetches_nothing_and_may_approve(client: TestClient, runtime: Runtime,
                                                                         fake: FakeGitHub) -> None:
    fake.commit(REPO, "main", {".quorum.yml": "risk_model:\n  enabled: false\n"}, message="policy: no risk gate")
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: clarify the guide", body="Clarify wording.")
    remote = fake.git.root / f"{REPO}.git"  # type: ignore[union-attr]
    shutil.move(remote, remote.with_name("gone.git"))
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(60)
    assert approved(fake, pull.number)
    rec = record(runtime, pull.number)
    assert "history" not in rec["extra"]
    assert not (runtime.settings.resolved_mirror_dir() / str(INSTALLATION)).exists()
