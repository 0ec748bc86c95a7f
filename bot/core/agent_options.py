"""Typed per-agent options: what a policy's ``agents.<name>.options`` may say.

Each agent has a pydantic model with ``extra="forbid"``, so a misspelt key fails when the policy
loads and names the valid keys (``disabled:`` instead of ``disable:`` used to be ignored).
Rule selectors are validated against the rule registry (id, prefix or ``tag:``; see
:mod:`bot.core.registry`), and must select at least one rule of that agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.core.models import AGENT_NAMES
from bot.core.registry import Registry, default_registry


class AgentOptions(BaseModel):
    """Options every agent takes.

    - ``disable``: rule selectors (ids, prefixes, ``tag:`` tags) whose findings this agent does not
      report;
    - ``enable``: rule selectors of rules that are off by default (``default_enabled: false`` in the
      registry) to switch on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built when first used

    disable: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()

    @field_validator("disable", "enable", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("disable", "enable")
    @classmethod
    def _registered(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        registry = default_registry()
        return tuple(registry.check_selector(s) for s in v)

    def reports(self, rule_id: str, registry: Registry) -> bool:
        """False when ``rule_id`` is disabled here, or off by default and not enabled."""
        if any(registry.selects(s, rule_id) for s in self.disable):
            return False
        rule = registry.get(rule_id)
        if rule is not None and not rule.default_enabled:
            return any(registry.selects(s, rule_id) for s in self.enable)
        return True


class SafetyOptions(AgentOptions):
    """Safety agent options. ``sensitive_categories``: the sensitive-path categories switched on
    (the pipeline fills it from the policy's ``sensitive_paths``; None: every built-in one)."""

    sensitive_categories: tuple[str, ...] | None = None


class IntentOptions(AgentOptions):
    """Intent agent options (no agent-specific ones yet)."""


class LogicOptions(AgentOptions):
    """Logic agent options (no agent-specific ones yet)."""


class AntiPatternsOptions(AgentOptions):
    """Anti-patterns agent options; ``disable`` also keeps the catalog's queries for those rules from running."""


class ExecutionPathsOptions(AgentOptions):
    """Execution-paths agent options (no agent-specific ones yet)."""


OPTION_MODELS: Mapping[str, type[AgentOptions]] = {
    "intent": IntentOptions,
    "safety": SafetyOptions,
    "logic": LogicOptions,
    "anti_patterns": AntiPatternsOptions,
    "execution_paths": ExecutionPathsOptions,
}
"""Agent name -> its options model (every name of ``AGENT_NAMES``)."""
assert set(OPTION_MODELS) == set(AGENT_NAMES)


def parse_options(agent: str, raw: Mapping[str, Any] | AgentOptions | None) -> AgentOptions:
    """Validate ``raw`` (a mapping from the policy) as ``agent``'s options model.

    Raises ``ValueError`` with one line naming the bad key and the valid keys; ``KeyError`` for an
    unknown agent name.
    """
    model = OPTION_MODELS[agent]
    if isinstance(raw, model):
        return raw
    try:
        return model.model_validate(dict(raw or {}))
    except ValidationError as exc:
        valid = ", ".join(model.model_fields)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: "
            + ("unknown option" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()
        )
        raise ValueError(f"{problems} (valid options of {agent}: {valid})") from None


def parse_all(raw: Mapping[str, Mapping[str, Any] | AgentOptions | None]) -> dict[str, AgentOptions]:
    """``{agent: options model}`` for every agent name (missing ones get the defaults)."""
    return {name: parse_options(name, raw.get(name)) for name in AGENT_NAMES}


__all__ = ["OPTION_MODELS", "AgentOptions", "parse_all", "parse_options"]
