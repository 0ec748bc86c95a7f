"""The feedback loop: down-votes past the policy's threshold mute a rule in that repository, on record."""

from __future__ import annotations

from app_helpers import REPO, comment_payload, deliver, pr_payload
from fastapi.testclient import TestClient

from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

BARE_EXCEPT = {"src/widgets/util.py": "def clamp(x, lo, hi):\n    try:\n        return max(lo, min(x, hi))\n"
               "    except:\n        pass\n"}


def test_down_votes_past_the_threshold_mute_the_rule_and_are_recorded(client: TestClient, runtime: Runtime,
                                                                         fake: FakeGitHub) -> None:
    fake.commit(REPO, "main", {".quorum.yml": "version: 1\nfeedback:\n  mute_after_down_votes: 2\n"})
    fake.set_permission(REPO, "carol", "write")
    pull = fake.open_pull(REPO, BARE_EXCEPT, title="fix: clamp", body="Guard clamp.")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    first = runtime.decisions.list(kind="decision")[0]
    finding = next(f for v in first["verdicts"] if v["agent"] == "anti_patterns" for f in v["findings"])
    assert finding["severity"] != "critical"
    rule = finding["rule_id"]
    for i, login in enumerate(("maria", "carol")):
        deliver(client, "issue_comment", comment_payload(pull.number, f"/quorum feedback down {finding['id']}",
                                                         login=login, comment_id=700 + i))
        assert runtime.pool.drain(30)
        if i == 0:  # one vote is under the threshold: a re-review still reports the rule
            fake.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nOne.\n"})
            deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
            assert runtime.pool.drain(30)
            latest = runtime.decisions.list(kind="decision", limit=1)[0]
            assert rule in {f["rule_id"] for v in latest["verdicts"] for f in v["findings"]}
            assert runtime.decisions.list(kind="rule_muted") == []
    replies = [c["body"] for c in fake.comments(REPO, pull.number) if c["body"].startswith("Thanks")]
    assert "in this repository: 0 up, 2 down so far" in replies[-1]  # votes per rule and per repository
    fake.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nTwo.\n"})
    deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
    assert runtime.pool.drain(30)
    latest = runtime.decisions.list(kind="decision", limit=1)[0]
    assert rule not in {f["rule_id"] for v in latest["verdicts"] for f in v["findings"]}
    assert latest["extra"]["muted_rules"] == [rule]
    (muted,) = runtime.decisions.list(kind="rule_muted")
    assert muted["details"]["rule_id"] == rule and muted["details"]["down"] == 2 and muted["details"]["threshold"] == 2
    assert muted["seq"] < latest["seq"] and muted["head_sha"] == latest["head_sha"]
    # maria changes her mind: 1 up, 1 down is no longer "more down than up", so the rule is unmuted, on record
    deliver(client, "issue_comment", comment_payload(pull.number, f"/quorum feedback up {finding['id']}",
                                                     login="maria", comment_id=710))
    assert runtime.pool.drain(30)
    fake.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nThree.\n"})
    deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
    assert runtime.pool.drain(30)
    (unmuted,) = runtime.decisions.list(kind="rule_unmuted")
    assert unmuted["details"]["rule_id"] == rule
    latest = runtime.decisions.list(kind="decision", limit=1)[0]
    assert rule in {f["rule_id"] for v in latest["verdicts"] for f in v["findings"]}
    assert len(runtime.decisions.list(kind="rule_muted")) == 1 and runtime.decisions.verify().ok


def test_muting_is_off_by_default(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, BARE_EXCEPT, title="fix: clamp", body="Guard clamp.")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    record = runtime.decisions.list(kind="decision")[0]
    finding = next(f for v in record["verdicts"] if v["agent"] == "anti_patterns" for f in v["findings"])
    deliver(client, "issue_comment", comment_payload(pull.number, f"/quorum feedback down {finding['id']}", login="maria"))
    assert runtime.pool.drain(30)
    fake.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nTwo.\n"})
    deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
    assert runtime.pool.drain(30)
    latest = runtime.decisions.list(kind="decision", limit=1)[0]
    assert finding["rule_id"] in {f["rule_id"] for v in latest["verdicts"] for f in v["findings"]}
    assert latest["extra"]["muted_rules"] == [] and runtime.decisions.list(kind="rule_muted") == []
