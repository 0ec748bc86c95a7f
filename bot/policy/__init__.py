"""Quorum's policy engine: policy-as-code in YAML, evaluated into a result tree and a Decision.

Public API::

    default_policy_text() -> str
    load_policy(text: str | None = None, *, source: str = "default") -> Policy   # raises PolicyError
    evaluate(policy: Policy, facts: PolicyInput) -> Decision                      # pure
    explain(decision: Decision) -> list[str]

The default policy is ``rules/default_policy.yml``; a repository's ``.quorum.yml`` (read from the
base branch) is deep-merged on top of it. See ``bot/policy/engine.py`` for the shape of the tree.
Pure core: no I/O except reading the packaged default policy.
"""

from bot.policy.engine import PRECEDENCE, decision_id, evaluate
from bot.policy.explain import explain, tree_rows
from bot.policy.facts import PolicyInput
from bot.policy.loader import default_policy_text, load_policy
from bot.policy.model import BOT_CONFIG_GLOBS, AgentConfig, Policy
from bot.policy.predicates.findings import PROMPT_INJECTION_RULE

__all__ = [
    "BOT_CONFIG_GLOBS",
    "PRECEDENCE",
    "PROMPT_INJECTION_RULE",
    "AgentConfig",
    "Policy",
    "PolicyInput",
    "decision_id",
    "default_policy_text",
    "evaluate",
    "explain",
    "load_policy",
    "tree_rows",
]
