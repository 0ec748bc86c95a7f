"""Hand-made decision-log records for tests, the console's browser tests and the API benchmark.

``decision(...)`` and ``merge(...)`` build records shaped like the App's (``record_from_result`` /
``bot.audit.merges.merge_record``) without running a review. ``exceptions_log()`` is a small log
containing one case of each exception kind and two clean merges, with the expected report.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.audit.records import utc_timestamp

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""A Monday; hand-made logs start here."""


def sha(label: str) -> str:
    """A deterministic 40-hex SHA for ``label``."""
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - a label, not security


def decision(repo: str, pr: int, head: str, action: str, *, at: datetime, author: str = "alice",
             reasons: list[tuple[str, str]] | None = None, findings: list[dict[str, Any]] | None = None,
             approved: bool | None = None, total_ms: float = 850.0, policy: str = "sha256:" + "p" * 64) -> dict[str, Any]:
    """A ``decision`` record (as the App writes it) with a small policy tree and one verdict per agent."""
    reasons = reasons if reasons is not None else ([("auto_approve", "all gates held")] if action == "approve"
                                                   else [("findings.hold_rules", "a finding holds approval back")])
    findings = findings or []
    tree = {"rule_id": "policy", "description": "Quorum policy", "status": "pass" if action == "approve" else "fail",
            "message": reasons[0][1] if reasons else "", "action": None, "details": {},
            "children": [{"rule_id": rid, "description": f"gate {rid}", "status": "pass" if action == "approve" else "fail",
                          "message": msg, "action": None if action == "approve" else action, "details": {"seen": 1},
                          "children": []} for rid, msg in reasons]}
    verdicts = [{"agent": a, "status": "pass" if not findings or a != "execution_paths" else "concern", "risk": 0.1,
                 "confidence": 0.9, "model": "offline", "prompt_version": None, "tokens": 0, "cost_usd": 0.0,
                 "elapsed_ms": total_ms / 2, "truncated": False, "error": None,
                 "findings": findings if a == "execution_paths" else []}
                for a in ("intent", "safety", "logic", "anti_patterns", "execution_paths")]
    return {
        "kind": "decision", "decision_id": "D" + sha(f"{repo}{pr}{head}")[:16], "created_at": utc_timestamp(at),
        "delivery_id": None, "repo": repo, "pr_number": pr, "pr_author": author,
        "pr_url": f"https://github.example/{repo}/pull/{pr}", "base_sha": sha(f"base{pr}"), "head_sha": head,
        "diff_sha256": sha(f"diff{head}") + "0" * 24, "diff_stats": {"files": 1, "additions": 3, "deletions": 1},
        "policy_version": policy, "action": action, "reasons": [{"rule_id": r, "message": m} for r, m in reasons],
        "risk": 0.1 if action == "approve" else 0.4, "verdicts": verdicts,
        "posted": [{"kind": "check_run", "id": str(pr * 10), "url": None}], "policy_tree": tree,
        "timings": {"total_ms": total_ms}, "extra": {} if approved is None else {"approved": approved},
    }


def finding(rule_id: str, *, path: str = "src/app.py", line: int = 10, severity: str = "minor") -> dict[str, Any]:
    """A finding dict with a two-step execution-path trace."""
    return {"id": "Q" + sha(rule_id + path + str(line))[:10], "rule_id": rule_id, "agent": "execution_paths",
            "severity": severity, "path": path, "line": line, "end_line": line, "message": f"{rule_id} at {path}:{line}",
            "evidence": [f"{path}:{line} app.handler", f"src/main.py:{line + 20} app.main"], "suggestion": None}


def merge(repo: str, pr: int, head: str, *, at: datetime, merged_by: str = "maria", quorum_approved: bool = False,
          humans: list[str] | None = None, decision_record: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``merge`` record as ``bot.audit.merges.merge_record`` writes it."""
    from bot.audit.merges import merge_record  # noqa: PLC0415

    pull = {"number": pr, "title": f"PR {pr}", "user": {"login": "alice"}, "html_url": f"https://github.example/{repo}/pull/{pr}",
            "head": {"sha": head}, "base": {"ref": "main", "sha": sha(f"base{pr}")}, "merge_commit_sha": sha(f"merge{pr}"),
            "merged_by": {"login": merged_by}, "merged_at": utc_timestamp(at)}
    approvals = {"quorum_approved": quorum_approved, "human_approvers": sorted(humans or []),
                 "approvals": [{"login": h, "commit_id": head, "submitted_at": None, "bot": False} for h in humans or []],
                 "changes_requested_by": []}
    return merge_record(pull, repo=repo, approvals=approvals, required=["ci"], conclusions={"ci": "success"},
                        decision=decision_record)


def feedback(repo: str, pr: int, rule_id: str, vote: str, actor: str, *, at: datetime, finding_id: str = "Qx") -> dict[str, Any]:
    """A ``feedback`` record as ``/quorum feedback`` writes it."""
    return {"kind": "feedback", "created_at": utc_timestamp(at), "delivery_id": None, "repo": repo, "pr_number": pr,
            "head_sha": None, "actor": actor, "details": {"finding_id": finding_id, "rule_id": rule_id, "vote": vote}}


def exceptions_log(repo: str = "acme/widgets") -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """``(records, expected)``: a log with each exception kind, and the expected ``(exception, pr)`` rows.

    - PR 1: Quorum approved head A, merged at A: clean.
    - PR 2: no decision, merged without any approval: ``no_decision`` and ``unreviewed_sha``.
    - PR 3: Quorum approved head B1, a push made B2, merged at B2 with nobody reviewing it: ``unreviewed_sha``.
    - PR 4: Quorum held C back (comment); rita approved C and maria merged: ``held_back_merged`` (decided by rita).
    - PR 5: Quorum reviewed D1, a push made D2, carol approved D2: clean (a human reviewed the merged SHA).
    - PR 6: no decision, but bob approved the merged SHA: ``no_decision`` only.
    - PR 7: Quorum's approval at E was withheld (log unwritable); maria merged: ``held_back_merged`` (decided by maria).
    """
    t = T0
    step = timedelta(hours=3)
    d1 = decision(repo, 1, sha("A"), "approve", at=t, approved=True)
    d3 = decision(repo, 3, sha("B1"), "approve", at=t + step, approved=True)
    d4 = decision(repo, 4, sha("C"), "comment", at=t + 2 * step, findings=[finding("paths/wide-reach")])
    d5 = decision(repo, 5, sha("D1"), "comment", at=t + 3 * step)
    d7 = decision(repo, 7, sha("E"), "approve", at=t + 4 * step, approved=False)
    records = [
        d1, d3, d4, d5, d7,
        merge(repo, 1, sha("A"), at=t + 5 * step, quorum_approved=True, decision_record=d1),
        merge(repo, 2, sha("X"), at=t + 6 * step),
        merge(repo, 3, sha("B2"), at=t + 7 * step, decision_record=d3),
        merge(repo, 4, sha("C"), at=t + 8 * step, humans=["rita"], decision_record=d4),
        merge(repo, 5, sha("D2"), at=t + 9 * step, humans=["carol"], decision_record=d5),
        merge(repo, 6, sha("Y"), at=t + 10 * step, humans=["bob"]),
        merge(repo, 7, sha("E"), at=t + 11 * step, decision_record=d7),
    ]
    expected = [("no_decision", 2), ("unreviewed_sha", 2), ("unreviewed_sha", 3), ("held_back_merged", 4),
                ("no_decision", 6), ("held_back_merged", 7)]
    return records, expected
