"""Scoring eval outcomes: finding matching, precision/recall/F1, the decision confusion matrix.

Pure functions over findings and labels; no I/O.

Matching (per case): an expected finding is a *hit* when some reported finding has the same agent
(or the spec says ``*``), a rule id equal to one of the spec's rules or starting with it (``*``: any), the
same path (spec path None: any) and a line range overlapping the spec's ``lines`` (spec lines
None: any; a reported finding without a line never overlaps a range). Otherwise it is a *miss*.
A reported finding that matches no expected and no allowed spec is a *false alarm* when its
severity is at least ``minor`` (info-level notes are not counted), and always when it matches an
``absent`` spec. Several reports of one expected finding count once (no extra false alarms).

Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; each is None when its
denominator is 0 (no data), never a made-up 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, computed_field

from bot.core.models import Action, Finding, Severity
from bot.core.registry import default_registry
from bot.evals.scenarios import Expect, FindingSpec

ACTION_ORDER: tuple[str, ...] = tuple(a.value for a in Action)
"""Rows and columns of the confusion matrix, in this order."""

INJECTION_TAGS: tuple[str, ...] = ("tag:injection", "tag:hidden-text")
"""A finding of a rule carrying one of these registry tags marks the PR as a suspected injection
("flagged"); selected through the rule registry, never by substring."""


def rule_matches(pattern: str, rule_id: str) -> bool:
    """True when ``pattern`` is ``*``, equals ``rule_id``, or is a prefix of it
    (``safety/`` and ``safety/secret`` match ``safety/secret``; ``QPY`` matches ``QPY003``)."""
    return pattern == "*" or rule_id == pattern or rule_id.startswith(pattern)


def spec_matches(spec: FindingSpec, finding: Finding) -> bool:
    """True when ``finding`` satisfies ``spec`` (agent, rule prefix, path, line overlap). A finding
    that names other rules of the same cause (``same_cause``, one finding reported for two rules on
    one line) also satisfies a label of those rules, whichever agent's rule it was."""
    own = any(rule_matches(rule, finding.rule_id) for rule in spec.rule)
    merged = not own and any(rule_matches(rule, other) for rule in spec.rule for other in finding.same_cause)
    if not own and not merged:
        return False
    if not merged and spec.agent != "*" and spec.agent != finding.agent:
        return False
    if spec.path is not None and spec.path != finding.path:
        return False
    if spec.lines is None:
        return True
    if finding.line is None:
        return False
    end = finding.end_line if finding.end_line is not None else finding.line
    return finding.line <= spec.lines[1] and end >= spec.lines[0]


class Hit(BaseModel):
    """An expected finding and the first reported finding that matched it."""

    spec: FindingSpec
    finding: Finding


class CaseMatch(BaseModel):
    """The matching of one case: hits, misses, false alarms (with the ``absent`` violations among
    them), and how many reported findings were neutral (allowed, duplicates or info notes)."""

    hits: list[Hit] = []
    misses: list[FindingSpec] = []
    false_alarms: list[Finding] = []
    forbidden: list[Finding] = []
    neutral: int = 0


def match_case(expect: Expect, findings: Sequence[Finding], *, min_severity: Severity = Severity.minor) -> CaseMatch:
    """Match reported ``findings`` against ``expect`` (see the module docstring)."""
    out = CaseMatch()
    for spec in expect.findings:
        found = next((f for f in findings if spec_matches(spec, f)), None)
        if found is None:
            out.misses.append(spec)
        else:
            out.hits.append(Hit(spec=spec, finding=found))
    for f in findings:
        if any(spec_matches(s, f) for s in expect.absent):
            out.forbidden.append(f)
            out.false_alarms.append(f)
        elif any(spec_matches(s, f) for s in expect.findings) or any(spec_matches(s, f) for s in expect.allow):
            out.neutral += 0 if any(h.finding.id == f.id for h in out.hits) else 1
        elif f.severity.rank >= min_severity.rank:
            out.false_alarms.append(f)
        else:
            out.neutral += 1
    return out


class Counts(BaseModel):
    """True positives, false positives, false negatives, with the derived ratios (None: no data)."""

    model_config = ConfigDict(validate_assignment=False)

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float | None:
        """TP / (TP + FP), or None when nothing was reported."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float | None:
        """TP / (TP + FN), or None when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float | None:
        """2PR / (P + R); None when P or R is None; 0.0 when both are 0."""
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


def prf(tp: int, fp: int, fn: int) -> Counts:
    """Counts with precision, recall and F1 (see :class:`Counts`). Raises ValueError on negatives."""
    if min(tp, fp, fn) < 0:
        raise ValueError("counts must be >= 0")
    return Counts(tp=tp, fp=fp, fn=fn)


def _bump(table: dict[str, Counts], key: str, field: str) -> None:
    counts = table.setdefault(key, Counts())
    setattr(counts, field, getattr(counts, field) + 1)


def tally(matches: Iterable[CaseMatch]) -> tuple[dict[str, Counts], dict[str, Counts]]:
    """Per-agent and per-rule counts over many cases.

    TP: under the spec's agent (``*`` specs under the matched finding's agent) and the matched
    finding's rule id; FN: under the spec's agent and rule label; FP: under the finding's agent
    and rule id. Keys are sorted.
    """
    agents: dict[str, Counts] = {}
    rules: dict[str, Counts] = {}
    for m in matches:
        for hit in m.hits:
            _bump(agents, hit.spec.agent if hit.spec.agent != "*" else hit.finding.agent, "tp")
            _bump(rules, hit.finding.rule_id, "tp")
        for spec in m.misses:
            _bump(agents, spec.agent, "fn")
            _bump(rules, spec.rule_label, "fn")
        for f in m.false_alarms:
            _bump(agents, f.agent, "fp")
            _bump(rules, f.rule_id, "fp")
    return dict(sorted(agents.items())), dict(sorted(rules.items()))


def total(table: dict[str, Counts]) -> Counts:
    """Micro-averaged counts: the sums of TP, FP and FN."""
    return Counts(
        tp=sum(c.tp for c in table.values()),
        fp=sum(c.fp for c in table.values()),
        fn=sum(c.fn for c in table.values()),
    )


def confusion_row(expected: Sequence[Action | str], actual: Action | str) -> str:
    """The row a case lands on: the actual action when it is acceptable, else the primary label."""
    exp = [Action(e).value for e in expected]
    act = Action(actual).value
    return act if act in exp else exp[0]


def confusion(pairs: Iterable[tuple[Sequence[Action | str], Action | str]]) -> dict[str, dict[str, int]]:
    """Expected-vs-actual action matrix: ``matrix[expected][actual]`` = number of cases.

    Every row and column of :data:`ACTION_ORDER` is present (zeros included). A case whose actual
    action is one of its acceptable ones counts on the diagonal.
    """
    matrix = {row: dict.fromkeys(ACTION_ORDER, 0) for row in ACTION_ORDER}
    for expected, actual in pairs:
        matrix[confusion_row(expected, actual)][Action(actual).value] += 1
    return matrix


def is_flagged(findings: Iterable[Finding]) -> bool:
    """True when some finding's rule is tagged prompt injection or hidden text (see :data:`INJECTION_TAGS`)."""
    registry = default_registry()
    return any(registry.selects(tag, f.rule_id) for f in findings for tag in INJECTION_TAGS)


__all__ = [
    "ACTION_ORDER", "INJECTION_TAGS", "CaseMatch", "Counts", "Hit", "confusion", "confusion_row",
    "is_flagged", "match_case", "prf", "rule_matches", "spec_matches", "tally", "total",
]
