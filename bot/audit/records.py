"""Build decision-log records (plain JSON-able dicts) from review results and other events.

The record shapes are the audit contract (DESIGN.md, "Decision log"): auditors, the CSV export and
the read-only API read these keys. Add keys; never rename or remove them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.models import ReviewResult, Verdict
from bot.core.protocols import PostedArtifact

EVENT_KINDS: frozenset[str] = frozenset(
    {"human_review_requested", "review_dismissed", "feedback", "approval_withdrawn", "posted", "rule_muted", "rule_unmuted"}
)
"""Kinds accepted by ``event_record`` (a review's own record has kind ``"decision"``)."""

DECISION_KIND = "decision"
MERGE_KIND = "merge"


def utc_timestamp(now: datetime | None = None) -> str:
    """ISO-8601 UTC with second precision and a ``Z`` suffix, e.g. ``2024-05-01T12:00:00Z``.

    ``now`` defaults to the current time; a naive ``now`` is taken to be UTC already.
    """
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verdict_record(verdict: Verdict) -> dict[str, Any]:
    return {
        "agent": verdict.agent,
        "status": verdict.status.value,
        "risk": verdict.risk,
        "confidence": verdict.confidence,
        "model": verdict.model,
        "prompt_version": verdict.prompt_version,
        "tokens": verdict.tokens,
        "cost_usd": verdict.cost_usd,
        "elapsed_ms": verdict.elapsed_ms,
        "truncated": verdict.truncated,
        "error": verdict.error,
        "findings": [finding.model_dump(mode="json") for finding in verdict.findings],
    }


def _posted_record(item: PostedArtifact | Mapping[str, Any]) -> dict[str, Any]:
    artifact = item if isinstance(item, PostedArtifact) else PostedArtifact.model_validate(item)
    return {"kind": artifact.kind, "id": artifact.id, "url": artifact.url}


def record_from_result(
    result: ReviewResult,
    *,
    delivery_id: str | None = None,
    posted: Iterable[PostedArtifact | Mapping[str, Any]] = (),
    kind: str = DECISION_KIND,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The decision-log record of one finished review.

    Keys: ``kind``, ``decision_id``, ``created_at`` (ISO-8601 UTC, seconds, ``Z``), ``delivery_id``
    (GitHub's ``X-GitHub-Delivery`` or None), ``repo``, ``pr_number``, ``pr_author``, ``pr_url``, ``base_sha`` (the merge base the diff used), ``head_sha``,
    ``policy_sha`` (the target-branch tip the policy and CODEOWNERS came from),
    ``diff_sha256``, ``diff_stats``, ``policy_version``, ``action``, ``reasons`` (``[{rule_id,
    message}]``), ``risk``, ``verdicts`` (per agent: ``agent, status, risk, confidence, model,
    prompt_version, tokens, cost_usd, elapsed_ms, truncated, error, findings`` with full Finding
    dicts), ``posted`` (``[{kind, id, url}]``), ``policy_tree`` (the policy result tree, ``RuleResult`` as
    JSON, or None), ``timings`` (``Timings`` as JSON, milliseconds) and ``extra`` (``{}`` when not given).

    ``posted`` items are PostedArtifact objects or dicts of the same shape (pydantic
    ``ValidationError`` otherwise). ``now`` fixes ``created_at`` (tests, replays). The result is
    plain JSON data, ready for ``DecisionStore.append``; ``extra`` must be JSON-able too.
    """
    decision = result.decision
    pr = result.pr
    return {
        "kind": kind,
        "decision_id": decision.decision_id,
        "created_at": utc_timestamp(now),
        "delivery_id": delivery_id,
        "repo": pr.repo,
        "pr_number": pr.number,
        "pr_author": pr.author,
        "pr_url": pr.url,
        "base_sha": pr.base_sha,
        "head_sha": pr.head_sha,
        "policy_sha": pr.policy_sha,
        "diff_sha256": result.diff_sha256,
        "diff_stats": dict(result.diff_stats),
        "policy_version": decision.policy_version,
        "action": decision.action.value,
        "reasons": [{"rule_id": r.rule_id, "message": r.message} for r in decision.reasons],
        "risk": decision.risk,
        "verdicts": [_verdict_record(v) for v in result.verdicts],
        "posted": [_posted_record(p) for p in posted],
        "policy_tree": decision.tree.model_dump(mode="json") if decision.tree is not None else None,
        "timings": result.timings.model_dump(mode="json"),
        "extra": dict(extra or {}),
    }


def event_record(
    kind: str,
    *,
    repo: str,
    pr_number: int | None,
    head_sha: str | None = None,
    delivery_id: str | None = None,
    actor: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The record of a non-decision event on a pull request.

    ``kind`` is one of ``EVENT_KINDS``: ``human_review_requested``, ``review_dismissed``,
    ``feedback``, ``approval_withdrawn``, ``posted``, ``rule_muted``, ``rule_unmuted`` (ValueError otherwise). ``actor`` is the
    GitHub login that caused it (None for the bot itself). Keys: ``kind``, ``created_at``,
    ``delivery_id``, ``repo``, ``pr_number``, ``head_sha``, ``actor``, ``details`` (``{}`` when
    not given; must be JSON-able).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; valid kinds: {', '.join(sorted(EVENT_KINDS))}")
    return {
        "kind": kind,
        "created_at": utc_timestamp(now),
        "delivery_id": delivery_id,
        "repo": repo,
        "pr_number": pr_number,
        "head_sha": head_sha,
        "actor": actor,
        "details": dict(details or {}),
    }
