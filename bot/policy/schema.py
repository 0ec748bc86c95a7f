"""The policy's validating schema: pydantic models with ``extra="forbid"`` and strict types at every level.

A validated policy is handed on as the dataclasses of :mod:`bot.policy.model` (same class and field
names, built from these models' ``model_dump()``), which carry the queries the engine asks
(``Agents.enabled_names``, ``Actions.of``, ...); this module is imported only when a policy text
other than the packaged default is validated (a repository's ``.quorum.yml``, ``--policy``).

The models have no defaults of their own: every value comes from ``rules/default_policy.yml``
(the single source of truth), with a repository's ``.quorum.yml`` merged on top by
:func:`bot.policy.loader.load_policy`. Validation normalizes what has no meaning as order or case
(author logins, globs, required agents) so that the same effective policy always has the same
:attr:`Policy.version`.

Fail closed: :class:`Actions` refuses ``approve`` for every condition (a condition can only
escalate), with a dedicated message for abstention, truncation and prompt injection.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bot.core.agent_options import parse_options
from bot.core.models import AGENT_NAMES
from bot.core.registry import default_registry
from bot.core.sensitive import ALWAYS_SENSITIVE, GlobError, glob_to_regex
from bot.policy.model import (  # noqa: F401 - BOT_CONFIG_GLOBS and rule_selected re-exported
    ACTION_CHOICES,
    BOT_CONFIG_GLOBS,
    FAIL_CLOSED_CONDITIONS,
    rule_selected,
)

RULE_SELECTOR_RE = re.compile(
    r"^(?:tag:[a-z][a-z0-9-]*|[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*/?)$"
)
"""A rule id (``logic/untested-behaviour-change``, ``QPY004``), a prefix (``logic/``,
``safety/dangerous-call``) or a registry tag (``tag:secret``)."""


def validate_rule_selectors(value: list[str]) -> list[str]:
    """Check each selector against the rule registry; return them stripped, sorted, deduplicated.

    Raises ``ValueError`` for a malformed selector, and
    :class:`~bot.core.registry.UnknownRuleError` (a ``ValueError``) naming the nearest valid ids,
    prefixes or tags for one that selects no registered rule (``paths/wide-rech``).
    """
    out = set()
    registry = default_registry()
    for sel in value:
        s = sel.strip()
        if not RULE_SELECTOR_RE.match(s):
            raise ValueError(
                f"{sel!r} is not a rule id, a rule-id prefix or a tag "
                "(e.g. logic/untested-behaviour-change, logic/, QPY004, tag:secret)"
            )
        out.add(registry.check_selector(s))
    return sorted(out)


class _Strict(BaseModel):
    # defer_build: a model's validator is built when it is first used, and the nested sections
    # (AutoApprove, Agents, ...) are validated as part of Policy, so their own validators are
    # never built in a review: ~11 model builds less per process. Behaviour is unchanged.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class AutoApprove(_Strict):
    """Gates that must all hold for an approval. Sizes count lines (additions + deletions) and files.

    ``hold_rules``: rule ids, prefixes (``logic/``) or registry tags (``tag:secret``), validated
    against the rule registry, whose findings hold an approval back whatever their severity (see
    :func:`rule_selected`). ``max_minor_findings``: at most this many
    findings of severity ``minor`` (None: no cap; ``major`` and ``critical`` ones already turn a
    verdict into ``concern`` or ``block``).
    """

    max_changed_lines: int = Field(ge=0)
    max_files: int = Field(ge=0)
    max_minor_findings: int | None = Field(ge=0)
    hold_rules: list[str]
    min_confidence: float = Field(ge=0.0, le=1.0)
    max_risk: float = Field(ge=0.0, le=1.0)
    required_agents: list[str] = Field(min_length=1)
    excluded_authors: list[str]
    exclude_bots: bool
    require_checks_green: bool
    allow_unknown_checks: bool
    enabled: bool

    @field_validator("required_agents")
    @classmethod
    def _known_agents(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in AGENT_NAMES:
                raise ValueError(f"unknown agent {name!r} (valid: {', '.join(AGENT_NAMES)})")
        return [a for a in AGENT_NAMES if a in value]

    @field_validator("hold_rules")
    @classmethod
    def _rule_selectors(cls, value: list[str]) -> list[str]:
        return validate_rule_selectors(value)

    @field_validator("excluded_authors")
    @classmethod
    def _logins(cls, value: list[str]) -> list[str]:
        # GitHub logins are case-insensitive.
        return sorted({v.strip().casefold() for v in value if v.strip()})


class LargeDiff(_Strict):
    """Above either threshold the PR goes to a human with a suggestion to split it."""

    split_threshold_lines: int = Field(ge=1)
    split_threshold_files: int = Field(ge=1)


class RiskModelGate(_Strict):
    """The gate on the history risk model (:mod:`bot.risk`). ``enabled``: score each PR when
    history is available; ``max_probability``: hold back PRs whose predicted probability of being
    bug-inducing is above it (null: the threshold the model file proposes, chosen by
    ``quorum calibrate`` for a target bad-approval rate). The model can only hold back."""

    enabled: bool
    max_probability: float | None = Field(gt=0.0, le=1.0)


class Actions(_Strict):
    """What each failing condition asks for. ``gate_failed`` covers the auto-approval gates
    that have no entry of their own (size caps, special files, draft, author, checks, ...)."""

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

    @model_validator(mode="after")
    def _never_approve(self) -> Actions:
        valid = ", ".join(ACTION_CHOICES)
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value in ACTION_CHOICES:
                continue
            if value == "approve" and name in FAIL_CLOSED_CONDITIONS:
                raise ValueError(
                    f"{name} cannot be 'approve': abstention, truncation and prompt injection "
                    f"always fail closed (valid: {valid})"
                )
            if value == "approve":
                raise ValueError(f"{name} cannot be 'approve': a condition can only hold back an approval (valid: {valid})")
            raise ValueError(f"{name} must be one of {valid} (got {value!r})")
        return self


def _check_json_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where or 'value'}: numbers must be finite")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(v, f"{where}[{i}]" if where else f"[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where or 'options'}: keys must be strings (got {k!r})")
            _check_json_value(v, f"{where}.{k}" if where else k)
        return
    raise ValueError(
        f"{where}: must be a string, number, boolean, null, list or mapping (got {type(value).__name__})"
    )


class AgentConfig(_Strict):
    """One sub-agent's settings. ``timeout_s`` is its wall-clock budget in seconds; ``options``
    are agent-specific (JSON-like values only), validated by :class:`Agents` against the agent's
    typed options model and passed to it as ``ReviewContext.options[name]``."""

    enabled: bool
    timeout_s: float = Field(gt=0.0, le=3600.0)
    options: dict[str, Any]

    @field_validator("options")
    @classmethod
    def _json_like(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json_value(value, "")
        return value


class Agents(_Strict):
    """Settings of the five sub-agents (``bot.core.models.AGENT_NAMES``)."""

    intent: AgentConfig
    safety: AgentConfig
    logic: AgentConfig
    anti_patterns: AgentConfig
    execution_paths: AgentConfig

    @model_validator(mode="after")
    def _typed_options(self) -> Agents:
        """Each agent's ``options`` must validate as its typed model (:mod:`bot.core.agent_options`):
        unknown keys fail, naming the valid ones; rule selectors are checked against the registry."""
        for name in AGENT_NAMES:
            try:
                parse_options(name, getattr(self, name).options)
            except ValueError as exc:
                raise ValueError(f"{name}.options.{exc}") from None
        return self


class SensitiveCategories(_Strict):
    """Built-in sensitive-path categories of :mod:`bot.core.sensitive`, each switched on (true) or
    off (false). ``bot_config`` cannot be switched off."""

    bot_config: bool
    ci: bool
    codeowners: bool
    dependencies: bool
    infrastructure: bool
    migrations: bool
    auth: bool
    crypto: bool

    @model_validator(mode="after")
    def _always_on(self) -> SensitiveCategories:
        for name in ALWAYS_SENSITIVE:
            if not getattr(self, name):
                raise ValueError(
                    f"{name} cannot be false: a pull request that changes the bot's own configuration "
                    "is never auto-approved"
                )
        return self


class SensitivePaths(_Strict):
    """``categories``: the built-in categories on or off; ``extra``: more globs, by a category
    name of the policy's choice (shown in explanations). Glob syntax: :mod:`bot.policy.globs`."""

    categories: SensitiveCategories
    extra: dict[str, list[str]]

    @field_validator("extra")
    @classmethod
    def _globs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for category, globs in sorted(value.items()):
            if not category.strip():
                raise ValueError("a category name cannot be empty")
            cleaned = sorted({g.strip() for g in globs})
            for g in cleaned:
                try:
                    glob_to_regex(g)
                except GlobError as exc:
                    raise ValueError(f"category {category!r}: {exc}") from None
            if cleaned:  # an empty category is the same policy as no category
                out[category] = cleaned
        return out


class FeedbackPolicy(_Strict):
    """The ``/quorum feedback`` loop: ``mute_after_down_votes`` (0: off) mutes a rule in a repository
    once it has that many down-votes there and more down- than up-votes."""

    mute_after_down_votes: int = Field(ge=0, le=100_000)


_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
"""A GitHub user login (letters, digits, hyphens; at most 39 characters)."""
_TEAM_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9-]{0,38}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
"""A team slug, optionally prefixed with its organization (``acme/platform`` or ``platform``)."""


class Reviewers(_Strict):
    """Who is asked to review when Quorum hands a pull request to a human (``needs_human``).

    ``request_on_handoff``: request reviewers from CODEOWNERS for the changed paths on every
    ``needs_human`` decision (users and teams, deduplicated, never the PR's author or a bot).
    ``fallback_users`` / ``fallback_teams``: requested instead when no CODEOWNERS rule owns any
    changed path (or there is no CODEOWNERS file); empty lists request nobody.
    """

    request_on_handoff: bool
    fallback_users: list[str]
    fallback_teams: list[str]

    @field_validator("fallback_users")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        out: dict[str, str] = {}
        for raw in value:
            login = raw.strip().removeprefix("@")
            if not _LOGIN_RE.match(login):
                raise ValueError(f"{raw!r} is not a GitHub login (letters, digits and '-', at most 39)")
            out.setdefault(login.casefold(), login)
        return sorted(out.values(), key=str.casefold)

    @field_validator("fallback_teams")
    @classmethod
    def _teams(cls, value: list[str]) -> list[str]:
        out: dict[str, str] = {}
        for raw in value:
            team = raw.strip().removeprefix("@")
            if not _TEAM_RE.match(team):
                raise ValueError(f"{raw!r} is not a team slug (e.g. platform or acme/platform)")
            slug = team.split("/", 1)[-1]
            out.setdefault(slug.casefold(), slug)
        return sorted(out.values(), key=str.casefold)


class Policy(_Strict):
    """A validated, immutable policy.

    ``schema_version`` is the YAML's top-level ``version`` key (always 1). :attr:`version` is the
    content hash ``"sha256:<hex>"`` of the canonical policy (sorted-keys JSON of the validated,
    normalized, merged policy): equal effective policies have equal versions.
    """

    schema_version: Literal[1] = Field(alias="version")
    auto_approve: AutoApprove
    large_diff: LargeDiff
    sensitive_paths: SensitivePaths
    risk_model: RiskModelGate
    actions: Actions
    agents: Agents
    feedback: FeedbackPolicy
    reviewers: Reviewers

    _version: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _digest(self) -> Policy:
        self._version = "sha256:" + hashlib.sha256(self.canonical_json().encode("ascii")).hexdigest()
        return self

    def canonical_json(self) -> str:
        """Sorted-keys, compact, ASCII JSON of the whole policy (YAML key names)."""
        return json.dumps(
            self.model_dump(mode="json", by_alias=True),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )

    @property
    def version(self) -> str:
        """``"sha256:"`` + 64 hex digits over :meth:`canonical_json`."""
        return self._version
