"""A validated policy as the engine reads it: frozen dataclasses, no pydantic.

:mod:`bot.policy.schema` holds the pydantic models that validate a policy (``extra="forbid"``,
strict types, the fail-closed checks, the normalizations that make equal policies hash equal);
:func:`bot.policy.loader.load_policy` validates a repository's ``.quorum.yml`` with them, then
builds these classes from the validated values (:meth:`Policy.from_dump`). The packaged default
policy alone is Quorum's own data, shipped with the code that reads it: it is built from its parsed
YAML without pydantic, and ``tests/policy/test_policy_model.py`` holds that to the same values
(equal objects, the same :attr:`Policy.version`) as validating it with the schema.

Same class and field names as the schema; ``model_dump`` / ``model_copy`` keep pydantic's names
for their callers (replays build counterfactual policies with ``model_copy``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Self

from bot.core.models import AGENT_NAMES, Action
from bot.core.registry import default_registry
from bot.core.sensitive import CATEGORIES

ACTION_CHOICES: tuple[str, ...] = ("comment", "needs_human", "request_changes")
"""What a condition may ask for; ``approve`` is never one of them."""

BOT_CONFIG_GLOBS: tuple[str, ...] = (".quorum.yml", ".quorum.yaml")
"""Always sensitive, whatever the policy says: a PR that changes the bot's config is never auto-approved
(DESIGN.md, "Security invariants"). Matched by :mod:`bot.core.sensitive` (category ``bot_config``)."""

FAIL_CLOSED_CONDITIONS: tuple[str, ...] = ("abstention", "truncation", "prompt_injection")
"""Conditions whose action may never be ``approve`` (DESIGN.md, "Fail closed")."""


def rule_selected(rule_id: str, selectors: list[str]) -> str | None:
    """The first selector of ``selectors`` that selects ``rule_id`` in the rule registry
    (:meth:`bot.core.registry.Registry.selects`): equal to it (case-insensitive), a prefix of it
    (``logic/`` or ``safety/dangerous-call`` selects ``safety/dangerous-call/shell-true``), or
    ``tag:<tag>`` for a rule carrying that tag. Never a substring. None when none does."""
    registry = default_registry()
    for sel in selectors:
        if registry.selects(sel, rule_id):
            return sel
    return None


@dataclass(frozen=True)
class _Section:
    """A policy section: built from validated plain data (:meth:`from_dump`), dumped back the same way."""

    _NESTED: ClassVar[dict[str, type[_Section]]] = {}
    _FLOATS: ClassVar[frozenset[str]] = frozenset()
    """Fields typed ``float``: an int in the data is held as a float, as pydantic does."""

    @classmethod
    def from_dump(cls, data: dict[str, Any]) -> Self:
        """This section from validated data (``model_dump()`` of the schema model, or the packaged
        default's parsed YAML); nested sections and lists are copied. Raises KeyError / TypeError
        for missing or unknown keys."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data[f.name]
            nested = cls._NESTED.get(f.name)
            if nested is not None:
                value = nested.from_dump(value)
            elif f.name in cls._FLOATS and type(value) is int:
                value = float(value)
            elif isinstance(value, (list, dict)):
                value = json.loads(json.dumps(value))
            values[f.name] = value
        if set(data) - values.keys():
            raise TypeError(f"{cls.__name__}: unknown keys {sorted(set(data) - values.keys())}")
        return cls(**values)

    def model_dump(self, *, mode: str = "python", by_alias: bool = False) -> dict[str, Any]:
        """The section as plain data (lists and dicts copied); ``mode`` is accepted for pydantic's
        signature (the values are JSON-ready either way)."""
        del mode
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, _Section):
                value = value.model_dump(by_alias=by_alias)
            elif isinstance(value, (list, dict)):
                value = json.loads(json.dumps(value))
            out[self._alias(f.name) if by_alias else f.name] = value
        return out

    @classmethod
    def _alias(cls, name: str) -> str:
        return name

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with the fields in ``update`` replaced (not validated, like pydantic's)."""
        return replace(self, **(update or {}))


@dataclass(frozen=True)
class AutoApprove(_Section):
    """Gates that must all hold for an approval (see :class:`bot.policy.schema.AutoApprove`)."""

    max_changed_lines: int
    max_files: int
    max_minor_findings: int | None
    hold_rules: list[str]
    min_confidence: float
    max_risk: float
    required_agents: list[str]
    excluded_authors: list[str]
    exclude_bots: bool
    require_checks_green: bool
    allow_unknown_checks: bool
    enabled: bool

    _FLOATS: ClassVar[frozenset[str]] = frozenset({"min_confidence", "max_risk"})


@dataclass(frozen=True)
class LargeDiff(_Section):
    """Above either threshold the PR goes to a human with a suggestion to split it."""

    split_threshold_lines: int
    split_threshold_files: int


@dataclass(frozen=True)
class RiskModelGate(_Section):
    """The gate on the history risk model (see :class:`bot.policy.schema.RiskModelGate`)."""

    enabled: bool
    max_probability: float | None

    _FLOATS: ClassVar[frozenset[str]] = frozenset({"max_probability"})


@dataclass(frozen=True)
class Actions(_Section):
    """What each failing condition asks for (see :class:`bot.policy.schema.Actions`)."""

    critical_finding: str
    block_verdict: str
    large_diff: str
    abstention: str
    truncation: str
    prompt_injection: str
    human_review_requested: str
    sensitive_path: str
    concern: str
    gate_failed: str

    def of(self, condition: str) -> Action:
        """The configured action for ``condition`` (a field name of this section)."""
        return Action(getattr(self, condition))


@dataclass(frozen=True)
class AgentConfig(_Section):
    """One sub-agent's settings: ``enabled``, ``timeout_s`` (seconds), ``options`` (JSON-like)."""

    enabled: bool
    timeout_s: float
    options: dict[str, Any]

    _FLOATS: ClassVar[frozenset[str]] = frozenset({"timeout_s"})


@dataclass(frozen=True)
class Agents(_Section):
    """Settings of the five sub-agents (``bot.core.models.AGENT_NAMES``)."""

    intent: AgentConfig
    safety: AgentConfig
    logic: AgentConfig
    anti_patterns: AgentConfig
    execution_paths: AgentConfig

    _NESTED: ClassVar[dict[str, type[_Section]]] = dict.fromkeys(AGENT_NAMES, AgentConfig)

    def get(self, name: str) -> AgentConfig:
        """The settings of agent ``name``; raises KeyError for a name outside AGENT_NAMES."""
        if name not in AGENT_NAMES:
            raise KeyError(name)
        return getattr(self, name)

    def enabled_names(self) -> list[str]:
        """Enabled agents in AGENT_NAMES order."""
        return [a for a in AGENT_NAMES if self.get(a).enabled]

    def options_by_agent(self) -> dict[str, dict[str, Any]]:
        """``{agent: options}`` for every agent (the shape of ``ReviewContext.options``); copies."""
        return {a: json.loads(json.dumps(self.get(a).options)) for a in AGENT_NAMES}


@dataclass(frozen=True)
class SensitiveCategories(_Section):
    """Built-in sensitive-path categories, each switched on (true) or off (false)."""

    bot_config: bool
    ci: bool
    codeowners: bool
    dependencies: bool
    infrastructure: bool
    migrations: bool
    auth: bool
    crypto: bool

    def enabled(self) -> list[str]:
        """The switched-on categories, in :data:`bot.core.sensitive.CATEGORIES` order."""
        return [c for c in CATEGORIES if getattr(self, c)]


@dataclass(frozen=True)
class SensitivePaths(_Section):
    """``categories``: the built-in categories on or off; ``extra``: more globs by category name."""

    categories: SensitiveCategories
    extra: dict[str, list[str]]

    _NESTED: ClassVar[dict[str, type[_Section]]] = {"categories": SensitiveCategories}


@dataclass(frozen=True)
class FeedbackPolicy(_Section):
    """The ``/quorum feedback`` loop: ``mute_after_down_votes`` (0: off)."""

    mute_after_down_votes: int


@dataclass(frozen=True)
class Reviewers(_Section):
    """Who is asked to review when Quorum hands a pull request to a human (see
    :class:`bot.policy.schema.Reviewers`)."""

    request_on_handoff: bool
    fallback_users: list[str]
    fallback_teams: list[str]


@dataclass(frozen=True)
class Policy(_Section):
    """A validated, immutable policy.

    ``schema_version`` is the YAML's top-level ``version`` key (always 1). :attr:`version` is the
    content hash ``"sha256:<hex>"`` of the canonical policy (sorted-keys JSON of the validated,
    normalized, merged policy): equal effective policies have equal versions.
    """

    schema_version: int
    auto_approve: AutoApprove
    large_diff: LargeDiff
    sensitive_paths: SensitivePaths
    risk_model: RiskModelGate
    actions: Actions
    agents: Agents
    feedback: FeedbackPolicy
    reviewers: Reviewers

    _NESTED: ClassVar[dict[str, type[_Section]]] = {
        "auto_approve": AutoApprove, "large_diff": LargeDiff, "sensitive_paths": SensitivePaths,
        "risk_model": RiskModelGate, "actions": Actions, "agents": Agents, "feedback": FeedbackPolicy,
        "reviewers": Reviewers,
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "_version", "sha256:" + hashlib.sha256(self.canonical_json().encode("ascii")).hexdigest())

    @classmethod
    def from_dump(cls, data: dict[str, Any]) -> Self:
        """A policy from validated data, keyed by field name or by YAML name (``version``)."""
        if "version" in data and "schema_version" not in data:
            data = {("schema_version" if k == "version" else k): v for k, v in data.items()}
        return super().from_dump(data)

    @classmethod
    def _alias(cls, name: str) -> str:
        return "version" if name == "schema_version" else name

    def canonical_json(self) -> str:
        """Sorted-keys, compact, ASCII JSON of the whole policy (YAML key names)."""
        return json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True)

    @property
    def version(self) -> str:
        """``"sha256:"`` + 64 hex digits over :meth:`canonical_json` (of the policy as loaded: a
        ``model_copy`` keeps it, as pydantic's did)."""
        return self._version  # type: ignore[attr-defined]

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with the fields in ``update`` replaced; :attr:`version` stays the original's."""
        copy = replace(self, **(update or {}))
        object.__setattr__(copy, "_version", self.version)
        return copy

    def extra_sensitive_globs(self) -> list[tuple[str, str]]:
        """``(category, glob)`` pairs of ``sensitive_paths.extra``, by category name."""
        return [(cat, g) for cat, globs in self.sensitive_paths.extra.items() for g in globs]
