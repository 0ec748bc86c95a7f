"""Typed per-agent options: what a policy's ``agents.<name>.options`` may say, as agents read them.

Each agent has an options class (a frozen dataclass). Options are validated by the pydantic
models of :mod:`bot.core.agent_options_schema` (``extra="forbid"``: a misspelt key fails when the
policy loads and names the valid keys; rule selectors are checked against the rule registry).
:func:`parse_options` builds options without pydantic when ``raw`` is plain data that pydantic
would accept as it is (known keys, each a selector or a list of selectors, every selector
registered; ``sensitive_categories`` a list of strings or None): the same values pydantic would
give (``tests/core/test_agent_options.py``). Anything else (an error to word, an unusual type)
goes through pydantic, imported then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from bot.core.models import AGENT_NAMES
from bot.core.registry import Registry, default_registry


@dataclass(frozen=True)
class AgentOptions:
    """Options every agent takes.

    - ``disable``: rule selectors (ids, prefixes, ``tag:`` tags) whose findings this agent does not
      report;
    - ``enable``: rule selectors of rules that are off by default (``default_enabled: false`` in the
      registry) to switch on.
    """

    disable: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()

    _SELECTOR_FIELDS: ClassVar[tuple[str, ...]] = ("disable", "enable")

    def reports(self, rule_id: str, registry: Registry) -> bool:
        """False when ``rule_id`` is disabled here, or off by default and not enabled."""
        if any(registry.selects(s, rule_id) for s in self.disable):
            return False
        rule = registry.get(rule_id)
        if rule is not None and not rule.default_enabled:
            return any(registry.selects(s, rule_id) for s in self.enable)
        return True

    def model_dump(self) -> dict[str, Any]:
        """The fields as a dict, in declaration order (as pydantic's ``model_dump``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SafetyOptions(AgentOptions):
    """Safety agent options. ``sensitive_categories``: the sensitive-path categories switched on
    (the pipeline fills it from the policy's ``sensitive_paths``; None: every built-in one)."""

    sensitive_categories: tuple[str, ...] | None = None


@dataclass(frozen=True)
class IntentOptions(AgentOptions):
    """Intent agent options (no agent-specific ones yet)."""


@dataclass(frozen=True)
class LogicOptions(AgentOptions):
    """Logic agent options (no agent-specific ones yet)."""


@dataclass(frozen=True)
class AntiPatternsOptions(AgentOptions):
    """Anti-patterns agent options; ``disable`` also keeps the catalog's queries for those rules from running."""


@dataclass(frozen=True)
class ExecutionPathsOptions(AgentOptions):
    """Execution-paths agent options (no agent-specific ones yet)."""


OPTION_CLASSES: Mapping[str, type[AgentOptions]] = {
    "intent": IntentOptions,
    "safety": SafetyOptions,
    "logic": LogicOptions,
    "anti_patterns": AntiPatternsOptions,
    "execution_paths": ExecutionPathsOptions,
}
"""Agent name -> its options class (every name of ``AGENT_NAMES``)."""
assert set(OPTION_CLASSES) == set(AGENT_NAMES)


def _is_text_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(type(v) is str for v in value)


def _plain(cls: type[AgentOptions], raw: Mapping[str, Any]) -> AgentOptions | None:
    """``raw`` as ``cls`` when it is plain data pydantic would take as it is; None otherwise."""
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    registry = default_registry()
    for key, value in raw.items():
        if key not in names:
            return None
        if key in cls._SELECTOR_FIELDS:
            items = [value] if type(value) is str else value
            if not _is_text_list(items):
                return None
            try:
                values[key] = tuple(registry.check_selector(s) for s in items)
            except ValueError:
                return None
        elif value is None or _is_text_list(value):
            values[key] = None if value is None else tuple(value)
        else:
            return None
    return cls(**values)


def parse_options(agent: str, raw: Mapping[str, Any] | AgentOptions | None) -> AgentOptions:
    """Validate ``raw`` (a mapping from the policy) as ``agent``'s options.

    Raises ``ValueError`` with one line naming the bad key and the valid keys; ``KeyError`` for an
    unknown agent name.
    """
    cls = OPTION_CLASSES[agent]
    if isinstance(raw, cls):
        return raw
    data = dict(raw or {})
    plain = _plain(cls, data)
    if plain is not None:
        return plain
    from bot.core.agent_options_schema import validate_options  # noqa: PLC0415 - only for unusual input

    return cls(**validate_options(agent, data))


def parse_all(raw: Mapping[str, Mapping[str, Any] | AgentOptions | None]) -> dict[str, AgentOptions]:
    """``{agent: options}`` for every agent name (missing ones get the defaults)."""
    return {name: parse_options(name, raw.get(name)) for name in AGENT_NAMES}


__all__ = ["OPTION_CLASSES", "AgentOptions", "SafetyOptions", "parse_all", "parse_options"]
