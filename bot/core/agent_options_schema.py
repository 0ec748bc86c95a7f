"""The validating schema of per-agent options: what a policy's ``agents.<name>.options`` may say.

Each agent has a pydantic model with ``extra="forbid"``, so a misspelt key fails when the policy
loads and names the valid keys (``disabled:`` instead of ``disable:`` used to be ignored).
Rule selectors are validated against the rule registry (id, prefix or ``tag:``; see
:mod:`bot.core.registry`). Imported only to validate options that are not plain lists of
selectors, and to word an error: a review reads the options as the dataclasses of
:mod:`bot.core.agent_options` (same fields, same values; ``tests/core/test_agent_options.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.core.models import AGENT_NAMES
from bot.core.registry import default_registry


class AgentOptionsModel(BaseModel):
    """Options every agent takes (validating model of :class:`bot.core.agent_options.AgentOptions`).

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


class SafetyOptionsModel(AgentOptionsModel):
    """Safety agent options. ``sensitive_categories``: the sensitive-path categories switched on
    (the pipeline fills it from the policy's ``sensitive_paths``; None: every built-in one)."""

    sensitive_categories: tuple[str, ...] | None = None


class IntentOptionsModel(AgentOptionsModel):
    """Intent agent options (no agent-specific ones yet)."""


class LogicOptionsModel(AgentOptionsModel):
    """Logic agent options (no agent-specific ones yet)."""


class AntiPatternsOptionsModel(AgentOptionsModel):
    """Anti-patterns agent options; ``disable`` also keeps the catalog's queries for those rules from running."""


class ExecutionPathsOptionsModel(AgentOptionsModel):
    """Execution-paths agent options (no agent-specific ones yet)."""


OPTION_MODELS: Mapping[str, type[AgentOptionsModel]] = {
    "intent": IntentOptionsModel,
    "safety": SafetyOptionsModel,
    "logic": LogicOptionsModel,
    "anti_patterns": AntiPatternsOptionsModel,
    "execution_paths": ExecutionPathsOptionsModel,
}
"""Agent name -> its options model (every name of ``AGENT_NAMES``)."""
assert set(OPTION_MODELS) == set(AGENT_NAMES)


def validate_options(agent: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``raw`` (a mapping from the policy) as ``agent``'s options model; the validated
    fields as a dict (selectors normalized).

    Raises ``ValueError`` with one line naming the bad key and the valid keys; ``KeyError`` for an
    unknown agent name.
    """
    model = OPTION_MODELS[agent]
    try:
        return model.model_validate(dict(raw)).model_dump()
    except ValidationError as exc:
        valid = ", ".join(model.model_fields)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: "
            + ("unknown option" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()
        )
        raise ValueError(f"{problems} (valid options of {agent}: {valid})") from None


__all__ = ["OPTION_MODELS", "AgentOptionsModel", "validate_options"]
