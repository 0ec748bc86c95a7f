"""Webhook signature verification, payload parsing and event planning (pure)."""

from __future__ import annotations

import json

import pytest

from bot.core.webhook import (
    IssueCommentEvent,
    PullRequestEvent,
    WebhookPayloadError,
    parse_event,
    plan,
    sign,
    verify_signature,
)

# GitHub docs, "Validating webhook deliveries": test values.
DOC_SECRET = b"It's a Secret to Everybody"
DOC_BODY = b"Hello, World!"
DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_documented_test_vector() -> None:
    assert sign(DOC_SECRET, DOC_BODY) == DOC_SIGNATURE
    assert verify_signature(DOC_SECRET, DOC_BODY, DOC_SIGNATURE)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        DOC_SIGNATURE[:-1] + "0",
        DOC_SIGNATURE.upper(),
        "sha1=" + "0" * 40,
        "sha512=" + DOC_SIGNATURE[7:],
        DOC_SIGNATURE[7:],
        "sha256=é" + DOC_SIGNATURE[8:],
    ],
)
def test_bad_signatures_rejected(header: str | None) -> None:
    assert not verify_signature(DOC_SECRET, DOC_BODY, header)


def test_sha1_only_signature_rejected_even_if_correct() -> None:
    import hashlib
    import hmac

    sha1 = "sha1=" + hmac.new(DOC_SECRET, DOC_BODY, hashlib.sha1).hexdigest()
    assert not verify_signature(DOC_SECRET, DOC_BODY, sha1)


def test_empty_secret_never_verifies() -> None:
    assert not verify_signature(b"", DOC_BODY, sign(b"", DOC_BODY))


def test_signature_covers_exact_bytes() -> None:
    assert not verify_signature(DOC_SECRET, DOC_BODY + b" ", DOC_SIGNATURE)


def _pr_payload(action: str = "opened", *, draft: bool = False, state: str = "open") -> dict:
    return {
        "action": action,
        "number": 7,
        "pull_request": {
            "number": 7,
            "state": state,
            "draft": draft,
            "title": "t",
            "body": None,
            "user": {"login": "alice", "id": 1, "type": "User"},
            "head": {"ref": "feature", "sha": "b" * 40},
            "base": {"ref": "main", "sha": "a" * 40},
        },
        "repository": {"full_name": "acme/widgets", "id": 5},
        "installation": {"id": 42},
        "sender": {"login": "alice", "type": "User"},
    }


def test_parse_pull_request_event() -> None:
    event = parse_event("pull_request", json.dumps(_pr_payload()).encode())
    assert isinstance(event, PullRequestEvent)
    assert event.pull_request.head.sha == "b" * 40
    tasks, note = plan(event)
    assert [t.kind for t in tasks] == ["review"]
    assert tasks[0].installation_id == 42 and tasks[0].repo == "acme/widgets" and tasks[0].pr_number == 7
    assert "opened" in note


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "not an object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_event("pull_request", body)


def test_missing_field_is_named() -> None:
    payload = _pr_payload()
    del payload["pull_request"]["head"]["sha"]
    with pytest.raises(WebhookPayloadError, match=r"pull_request\.head\.sha"):
        parse_event("pull_request", json.dumps(payload).encode())


def test_unknown_event_is_none_but_still_json_checked() -> None:
    assert parse_event("star", b'{"action": "created"}') is None
    with pytest.raises(WebhookPayloadError):
        parse_event("star", b"nope")


@pytest.mark.parametrize(
    ("action", "draft", "kinds"),
    [
        ("synchronize", False, ["review"]),
        ("reopened", False, ["review"]),
        ("ready_for_review", False, ["review"]),
        ("opened", True, []),
        ("converted_to_draft", True, ["withdraw"]),
        ("closed", False, ["close"]),
        ("labeled", False, []),
    ],
)
def test_pull_request_planning(action: str, draft: bool, kinds: list[str]) -> None:
    event = parse_event("pull_request", json.dumps(_pr_payload(action, draft=draft)).encode())
    assert [t.kind for t in plan(event)[0]] == kinds


def test_edited_without_changes_is_ignored_and_with_base_change_reviews() -> None:
    payload = _pr_payload("edited")
    event = parse_event("pull_request", json.dumps(payload).encode())
    assert plan(event)[0] == []
    payload["changes"] = {"base": {"ref": {"from": "dev"}}}
    event = parse_event("pull_request", json.dumps(payload).encode())
    assert [t.kind for t in plan(event)[0]] == ["review"]


def _comment_payload(body: str, *, login: str = "bob", user_type: str = "User", pr: bool = True) -> dict:
    issue = {"number": 7, "state": "open", "user": {"login": "alice"}}
    if pr:
        issue["pull_request"] = {"url": "x"}
    return {
        "action": "created",
        "issue": issue,
        "comment": {"id": 99, "body": body, "user": {"login": login, "type": user_type}},
        "repository": {"full_name": "acme/widgets"},
        "installation": {"id": 42},
        "sender": {"login": login, "type": user_type},
    }


def test_comment_command_planned() -> None:
    event = parse_event("issue_comment", json.dumps(_comment_payload("/quorum human risky")).encode())
    assert isinstance(event, IssueCommentEvent)
    tasks, _ = plan(event, bot_login="quorum[bot]")
    assert len(tasks) == 1 and tasks[0].kind == "command" and tasks[0].actor == "bob"
    assert tasks[0].data == {"comment_id": 99, "body": "/quorum human risky"}


@pytest.mark.parametrize(
    ("login", "user_type", "pr", "body"),
    [
        ("quorum[bot]", "Bot", True, "/quorum review"),  # our own comment
        ("Quorum[bot]", "User", True, "/quorum review"),  # our login, any case
        ("dependabot[bot]", "Bot", True, "/quorum review"),  # another bot
        ("bob", "User", False, "/quorum review"),  # an issue, not a PR
        ("bob", "User", True, "looks good"),  # no command
    ],
)
def test_comments_ignored(login: str, user_type: str, pr: bool, body: str) -> None:
    event = parse_event("issue_comment", json.dumps(_comment_payload(body, login=login, user_type=user_type, pr=pr)).encode())
    assert plan(event, bot_login="quorum[bot]")[0] == []


def test_review_dismissal_of_bot_review_recorded_only_when_by_a_human() -> None:
    payload = {
        "action": "dismissed",
        "review": {"id": 5, "user": {"login": "quorum[bot]", "type": "Bot"}, "state": "dismissed", "commit_id": "b" * 40},
        "pull_request": _pr_payload()["pull_request"],
        "repository": {"full_name": "acme/widgets"},
        "installation": {"id": 42},
        "sender": {"login": "carol"},
    }
    event = parse_event("pull_request_review", json.dumps(payload).encode())
    tasks, _ = plan(event, bot_login="quorum[bot]")
    assert [t.kind for t in tasks] == ["review_dismissed"] and tasks[0].actor == "carol"
    payload["sender"] = {"login": "quorum[bot]", "type": "Bot"}
    event = parse_event("pull_request_review", json.dumps(payload).encode())
    assert plan(event, bot_login="quorum[bot]")[0] == []


def test_installation_events() -> None:
    payload = {
        "action": "created",
        "installation": {"id": 42, "account": {"login": "acme", "type": "Organization"}},
        "repositories": [{"full_name": "acme/widgets"}],
        "sender": {"login": "alice"},
    }
    event = parse_event("installation", json.dumps(payload).encode())
    tasks, _ = plan(event)
    assert tasks[0].kind == "installation" and tasks[0].data["repositories"] == ["acme/widgets"]
    payload = {
        "action": "removed",
        "installation": {"id": 42},
        "repositories_added": [],
        "repositories_removed": [{"full_name": "acme/widgets"}],
    }
    event = parse_event("installation_repositories", json.dumps(payload).encode())
    tasks, _ = plan(event)
    assert tasks[0].data["action"] == "repositories_removed" and tasks[0].data["removed"] == ["acme/widgets"]


def test_merged_close_also_queues_the_merge_evidence() -> None:
    payload = _pr_payload("closed")
    payload["pull_request"].update(state="closed", merged=True, merged_at="2026-03-02T10:00:00Z",
                                   merge_commit_sha="c" * 40, merged_by={"login": "maria", "type": "User"})
    tasks, note = plan(parse_event("pull_request", json.dumps(payload).encode()))
    assert [t.kind for t in tasks] == ["close", "merged"] and "merge evidence" in note
    merged = tasks[1]
    assert merged.actor == "maria" and merged.head_sha == payload["pull_request"]["head"]["sha"]
    assert merged.data == {"merge_commit_sha": "c" * 40, "merged_at": "2026-03-02T10:00:00Z"}
