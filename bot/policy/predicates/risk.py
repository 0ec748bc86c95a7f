"""The gate on the history risk model: the predicted probability that the PR is bug-inducing
must not exceed ``risk_model.max_probability`` (or the model's proposed threshold).

It can only hold back: it passes, is skipped, or fails; a failure names the facts that pushed the
probability up, in plain words. An assessment that could not be made fails closed.
"""

from __future__ import annotations

from bot.core.models import RuleResult
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy
from bot.policy.predicates.base import leaf, quote
from bot.risk.assess import as_details

DESCRIPTION = "The repository's history does not predict a bug-inducing change"


def probability(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``risk.probability``: predicted risk at or under the threshold. Skipped when the gate is
    off, when the review has no history source, or when no model exists; fails when the facts or
    the model could not be read (fail closed)."""
    gate = policy.risk_model
    a = facts.risk
    if not gate.enabled:
        return leaf("risk.probability", DESCRIPTION, None, "risk_model.enabled is false")
    if a is None:
        return leaf("risk.probability", DESCRIPTION, None, "no repository history for this review")
    if a.status == "no_model":
        return leaf("risk.probability", DESCRIPTION, None, "no risk model", details=as_details(a))
    if a.status == "error" or a.probability is None:
        return leaf("risk.probability", DESCRIPTION, False,
                    f"history risk could not be assessed: {quote(a.error or 'unknown error', 200)}",
                    details=as_details(a))
    threshold = gate.max_probability if gate.max_probability is not None else a.proposed_max_probability
    if threshold is None:
        return leaf("risk.probability", DESCRIPTION, False, "the risk model proposes no threshold", details=as_details(a))
    ok = a.probability <= threshold
    facts_text = "; ".join(quote(f.text, 160) for f in a.top)
    if ok:
        message = f"predicted risk {a.probability:.1%} is within the threshold of {threshold:.1%}"
    else:
        message = f"predicted risk {a.probability:.1%} is over the threshold of {threshold:.1%}"
        if facts_text:
            message += f": {facts_text}"
    return leaf("risk.probability", DESCRIPTION, ok, message,
                details={**as_details(a), "threshold": threshold})
