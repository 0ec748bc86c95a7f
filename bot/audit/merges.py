"""Merge evidence: the decision-log record of a merged pull request (pure functions, no I/O).

The App reads the pull request, its reviews, the checks on the merged head and the base branch's
required checks when GitHub reports ``pull_request`` ``closed`` with ``merged: true``, and hands
them to :func:`merge_record`. The record joins the same hash chain as decisions (kind
``"merge"``), so an auditor can answer the change-management question "what reached the default
branch, at which SHA, approved by whom" (SOC 2 CC8.1, ISO 27001 A.8.32).

GitHub facts used here (REST API docs, "Pull requests" / "Reviews" / "Check runs" / "Branches"):
- a review's ``commit_id`` is the head SHA the reviewer saw; ``state`` is ``APPROVED``,
  ``CHANGES_REQUESTED``, ``COMMENTED``, ``DISMISSED`` or ``PENDING``; a user's latest
  ``APPROVED``/``CHANGES_REQUESTED``/``DISMISSED`` review is their standing review;
- ``pull_request.merged_by``, ``merged_at`` and ``merge_commit_sha`` describe the merge;
- required checks are contexts (check-run names or commit-status contexts) from branch
  protection (``protection.required_status_checks.contexts``) or from rulesets
  (``required_status_checks`` rule, ``parameters.required_status_checks[].context``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.audit.records import MERGE_KIND, utc_timestamp

_STANDING = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})


def _login(user: Any) -> str | None:
    if isinstance(user, Mapping):
        login = user.get("login")
        return str(login) if login else None
    return None


def standing_reviews(reviews: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each reviewer's standing review: ``{login: {"state", "commit_id", "submitted_at", "id"}}``.

    ``reviews`` are GitHub review objects in the order GitHub lists them (oldest first). A later
    ``APPROVED``, ``CHANGES_REQUESTED`` or ``DISMISSED`` review replaces the user's earlier one;
    ``COMMENTED`` and ``PENDING`` reviews change nothing (GitHub's own rule for review decisions).
    """
    out: dict[str, dict[str, Any]] = {}
    for review in reviews:
        login = _login(review.get("user"))
        state = str(review.get("state") or "").upper()
        if login is None or state not in _STANDING:
            continue
        out[login] = {"state": state, "commit_id": review.get("commit_id"), "submitted_at": review.get("submitted_at"),
                      "id": review.get("id")}
    return out


def approval_evidence(reviews: Iterable[Mapping[str, Any]], head_sha: str, bot_login: str | None) -> dict[str, Any]:
    """Who approved ``head_sha``: ``{"quorum_approved", "human_approvers", "approvals", "changes_requested_by"}``.

    ``quorum_approved`` is True when the bot's standing review is an approval of exactly
    ``head_sha``. ``human_approvers`` lists (sorted) the other users whose standing review approves
    ``head_sha``; ``approvals`` every standing approval with the SHA it approved (an approval of an
    older head counts for nothing at the merged SHA, but is kept as evidence);
    ``changes_requested_by`` the users whose standing review requests changes.
    """
    bot = (bot_login or "").lower()
    quorum = False
    humans: list[str] = []
    approvals: list[dict[str, Any]] = []
    blocked: list[str] = []
    for login, review in sorted(standing_reviews(reviews).items()):
        is_bot = bool(bot) and login.lower() == bot
        if review["state"] == "APPROVED":
            approvals.append({"login": login, "commit_id": review["commit_id"], "submitted_at": review["submitted_at"],
                              "bot": is_bot})
            if review["commit_id"] == head_sha:
                if is_bot:
                    quorum = True
                else:
                    humans.append(login)
        elif review["state"] == "CHANGES_REQUESTED":
            blocked.append(login)
    return {"quorum_approved": quorum, "human_approvers": humans, "approvals": approvals,
            "changes_requested_by": blocked}


def required_contexts(branch: Mapping[str, Any] | None, rules: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Required check contexts of a branch, sorted: branch protection's plus every ruleset's.

    ``branch`` is ``GET /repos/{repo}/branches/{branch}`` (None when unreadable); ``rules`` is
    ``GET /repos/{repo}/rules/branches/{branch}`` (None when unreadable).
    """
    found: set[str] = set()
    protection = (branch or {}).get("protection") or {}
    checks = protection.get("required_status_checks") or {}
    found.update(str(c) for c in checks.get("contexts") or [])
    found.update(str(c.get("context")) for c in checks.get("checks") or [] if c.get("context"))
    for rule in rules or []:
        if rule.get("type") != "required_status_checks":
            continue
        for item in (rule.get("parameters") or {}).get("required_status_checks") or []:
            if item.get("context"):
                found.add(str(item["context"]))
    return sorted(found)


def check_conclusions(check_runs: Iterable[Mapping[str, Any]], status: Mapping[str, Any] | None) -> dict[str, str]:
    """``{context: conclusion}`` on one commit: check runs (latest per name) and commit statuses.

    A run still in progress reads ``"pending"``; a status reads its ``state``.
    """
    out: dict[str, str] = {}
    for run in sorted(check_runs, key=lambda r: int(r.get("id") or 0)):
        name = run.get("name")
        if not name:
            continue
        out[str(name)] = str(run.get("conclusion") or ("pending" if run.get("status") != "completed" else "neutral"))
    for item in (status or {}).get("statuses") or []:
        if item.get("context"):
            out.setdefault(str(item["context"]), str(item.get("state") or "pending"))
    return out


def merge_record(
    pull: Mapping[str, Any],
    *,
    repo: str,
    approvals: Mapping[str, Any],
    required: list[str] | None,
    conclusions: Mapping[str, str] | None,
    decision: Mapping[str, Any] | None,
    delivery_id: str | None = None,
    sender: str | None = None,
    errors: list[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The decision-log record of one merged pull request (kind ``"merge"``).

    ``pull`` is GitHub's pull-request object at merge time; ``approvals`` is
    :func:`approval_evidence` for the merged head; ``required`` the required contexts (None: could
    not be read); ``conclusions`` :func:`check_conclusions` on the merged head (None: unreadable);
    ``decision`` Quorum's latest decision record for the PR (None: there is none). ``errors`` lists
    evidence that could not be read (each one line), so a gap is visible, never silent.

    Keys: ``kind``, ``created_at`` (= ``merged_at``), ``delivery_id``, ``repo``, ``pr_number``,
    ``pr_author``, ``pr_title``, ``pr_url``, ``base_ref``, ``base_sha``, ``head_sha`` (merged head),
    ``merge_commit_sha``, ``merged_by`` (``sender`` when GitHub leaves it out), ``merged_at``,
    ``quorum_decision_id``, ``quorum_action``, ``quorum_decided_sha``, ``quorum_approved``,
    ``human_approvers``, ``approvals``, ``changes_requested_by``, ``required_checks``
    (``[{context, conclusion}]`` or None), ``checks_at_merge`` (``{context: conclusion}`` or
    None), ``evidence_errors``.
    """
    head = (pull.get("head") or {}).get("sha")
    base = pull.get("base") or {}
    merged_at = str(pull.get("merged_at") or utc_timestamp(now))
    required_checks = None
    if required is not None:
        required_checks = [{"context": c, "conclusion": (conclusions or {}).get(c, "missing")} for c in required]
    return {
        "kind": MERGE_KIND,
        "created_at": merged_at,
        "delivery_id": delivery_id,
        "repo": repo,
        "pr_number": pull.get("number"),
        "pr_author": _login(pull.get("user")),
        "pr_title": pull.get("title"),
        "pr_url": pull.get("html_url"),
        "base_ref": base.get("ref"),
        "base_sha": base.get("sha"),
        "head_sha": head,
        "merge_commit_sha": pull.get("merge_commit_sha"),
        "merged_by": _login(pull.get("merged_by")) or sender,
        "merged_at": merged_at,
        "quorum_decision_id": (decision or {}).get("decision_id"),
        "quorum_action": (decision or {}).get("action"),
        "quorum_decided_sha": (decision or {}).get("head_sha"),
        "quorum_approved": bool(approvals.get("quorum_approved")),
        "human_approvers": list(approvals.get("human_approvers") or []),
        "approvals": list(approvals.get("approvals") or []),
        "changes_requested_by": list(approvals.get("changes_requested_by") or []),
        "required_checks": required_checks,
        "checks_at_merge": dict(conclusions) if conclusions is not None else None,
        "evidence_errors": list(errors or []),
    }
