"""Quorum's sub-agents: one module per agent, each a :class:`subagents.base.SubAgent`.

``default_agents()`` builds one instance of each, in the contract order of
``bot.core.models.AGENT_NAMES``: intent, safety, logic, anti_patterns, execution_paths.
"""

from __future__ import annotations

from importlib import import_module

from bot.core.models import AGENT_NAMES
from subagents.base import SubAgent

_CLASSES = {
    "intent": ("subagents.intent", "IntentAgent"),
    "safety": ("subagents.safety", "SafetyAgent"),
    "logic": ("subagents.logic", "LogicAgent"),
    "anti_patterns": ("subagents.anti_patterns", "AntiPatternsAgent"),
    "execution_paths": ("subagents.execution_paths", "ExecutionPathsAgent"),
}


def agent_class(name: str) -> type[SubAgent]:
    """The class implementing agent ``name``. Raises KeyError naming the valid agents."""
    if name not in _CLASSES:
        raise KeyError(f"unknown agent {name!r} (valid: {', '.join(AGENT_NAMES)})")
    module, cls = _CLASSES[name]
    return getattr(import_module(module), cls)


def default_agents(names: list[str] | tuple[str, ...] | None = None) -> list[SubAgent]:
    """Fresh instances of the named agents (default: all five, in contract order)."""
    return [agent_class(n)() for n in (names or AGENT_NAMES)]
