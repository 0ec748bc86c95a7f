"""Policy evaluation: facts -> a result tree -> a Decision. Pure and deterministic.

The tree (palantir/policy-bot's shape)::

    policy                      action = the decision; pass only for approve
      auto_approve              all gates must hold; asks for actions.gate_failed
        auto_approve.enabled
        diff      diff.non_empty, diff.changed_lines, diff.files, diff.split, diff.truncated
        paths     paths.sensitive, paths.special_files
        verdicts  verdicts.present, .abstain, .block, .concern, .confidence, .risk, .truncated
        findings  findings.critical, findings.prompt_injection, findings.hold_rules, findings.minor
        pr        pr.draft, pr.human_review, pr.author, pr.checks
        risk      risk.probability (the history risk model; can only hold back)

Every condition is an auto-approval gate; some also ask for a stronger action when they fail
(their ``action``), the others ask for ``actions.gate_failed``. The decision is the strongest
action asked for by a failing gate (request_changes > needs_human > comment), or ``approve`` when
all gates hold. The reasons are the failing gates that asked for exactly that action.
"""

from __future__ import annotations

import hashlib
import json

from bot.core.models import Action, Decision, Reason, RuleResult
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy
from bot.policy.predicates import GATE_GROUPS, TOP_GATES
from bot.policy.predicates.base import FAIL, PASS, SKIP, group, leaves, plural
from bot.policy.predicates.verdicts import is_abstention

PRECEDENCE: tuple[Action, ...] = (Action.approve, Action.comment, Action.needs_human, Action.request_changes)
"""Actions from weakest to strongest."""


def stronger(a: Action, b: Action) -> Action:
    """The stronger of two actions by :data:`PRECEDENCE`."""
    return a if PRECEDENCE.index(a) >= PRECEDENCE.index(b) else b


def evaluate(policy: Policy, facts: PolicyInput) -> Decision:
    """Evaluate ``policy`` on ``facts``.

    Returns a :class:`~bot.core.models.Decision` with ``tree`` (the result tree above),
    ``reasons`` (one per failing gate that decides the action; for approve, one saying all gates
    held), ``risk`` (the highest verdict risk, abstentions counting 1.0; 1.0 without any verdict,
    since unknown risk is the worst), ``policy_version`` and ``decision_id`` (see :func:`decision_id`).
    Pure: same inputs, same decision.
    """
    gate_failed = policy.actions.of("gate_failed")
    top = [p(policy, facts) for p in TOP_GATES]
    groups = [group(gid, desc, [p(policy, facts) for p in preds]) for gid, desc, preds in GATE_GROUPS]
    auto = group(
        "auto_approve",
        "Every gate holds, so the pull request may be approved",
        [*top, *groups],
        action=gate_failed,
    )
    gates = leaves(auto)
    asked = [(g.action or gate_failed, g) for g in gates if g.status == FAIL]
    action = Action.approve
    for a, _ in asked:
        action = stronger(action, a)

    risk = decision_risk(facts)
    did = decision_id(policy, facts)
    if action is Action.approve:
        held = sum(1 for g in gates if g.status == PASS)
        summary = (
            f"all {held} applicable gates held: {plural(facts.diff.changed_lines, 'changed line')} in "
            f"{plural(len(facts.diff.files), 'file')}, {plural(len(facts.verdicts), 'agent')} passed, "
            f"highest risk {risk:.2f}"
        )
        reasons = [Reason(rule_id="auto_approve", message=summary)]
        root_message = f"approve: {summary}"
    else:
        deciding = [g for a, g in asked if a is action]
        reasons = [Reason(rule_id=g.rule_id, message=g.message) for g in deciding]
        root_message = f"{action.value}: " + ", ".join(g.rule_id for g in deciding)

    root = RuleResult(
        rule_id="policy",
        description="Quorum policy",
        status=PASS if action is Action.approve else FAIL,
        message=root_message,
        action=action,
        details={
            "policy_version": policy.version,
            "decision_id": did,
            "risk": risk,
            "gates": len(gates),
            "failed": sum(1 for g in gates if g.status == FAIL),
            "skipped": sum(1 for g in gates if g.status == SKIP),
        },
        children=[auto],
    )
    return Decision(
        action=action,
        reasons=reasons,
        risk=risk,
        policy_version=policy.version,
        decision_id=did,
        tree=root,
    )


def decision_risk(facts: PolicyInput) -> float:
    """The highest verdict risk in [0, 1]; an abstention counts 1.0, and so does having no verdict."""
    if not facts.verdicts:
        return 1.0
    return max(1.0 if is_abstention(v) else v.risk for v in facts.verdicts)


def decision_id(policy: Policy, facts: PolicyInput) -> str:
    """``"D"`` + the first 16 hex digits of SHA-256 over the canonical JSON of
    ``[repo, number, head_sha, policy version, diff sha256, verdicts]``, where ``verdicts`` is the
    sorted list of ``[agent, status, sorted finding ids]``. Independent of verdict and finding order."""
    verdicts = sorted([v.agent, v.status.value, sorted(f.id for f in v.findings)] for v in facts.verdicts)
    payload = [
        facts.pr.repo,
        facts.pr.number,
        facts.pr.head_sha,
        policy.version,
        facts.diff.sha256,
        verdicts,
    ]
    canon = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "D" + hashlib.sha256(canon.encode("ascii")).hexdigest()[:16]
