"""bot.core.models: the dataclass records dump exactly what the pydantic models they replaced
dumped (the reference models below are those models, verbatim), coerce what pydantic coerced and
refuse what it refused."""

from __future__ import annotations

import json
import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from bot.core import models as m
from bot.core.models import Action, Severity, Status


class RefFinding(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    rule_id: str
    agent: str
    severity: Severity
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    message: str
    evidence: list[str] = Field(default_factory=list)
    suggestion: str | None = None
    same_cause: list[str] = Field(default_factory=list)


class RefVerdict(BaseModel):
    agent: str
    status: Status
    risk: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    findings: list[RefFinding] = Field(default_factory=list)
    model: str = "offline"
    prompt_version: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    elapsed_ms: float = 0.0
    truncated: bool = False
    error: str | None = None
    notes: list[str] = Field(default_factory=list)


class RefReason(BaseModel):
    rule_id: str
    message: str


class RefRuleResult(BaseModel):
    rule_id: str
    description: str
    status: str
    message: str = ""
    action: Action | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    children: list[RefRuleResult] = Field(default_factory=list)


class RefDecision(BaseModel):
    action: Action
    reasons: list[RefReason]
    risk: float = Field(ge=0.0, le=1.0)
    policy_version: str
    decision_id: str
    tree: RefRuleResult | None = None


class RefPullRequestInfo(BaseModel):
    repo: str
    number: int | None = None
    title: str = ""
    body: str = ""
    author: str = ""
    author_is_bot: bool = False
    base_ref: str = ""
    head_ref: str = ""
    base_sha: str
    head_sha: str
    policy_sha: str | None = None
    is_draft: bool = False
    labels: list[str] = Field(default_factory=list)
    url: str | None = None
    human_review_requested: bool = False
    checks_passed: bool | None = None
    committers: list[str] = Field(default_factory=list)
    description_known: bool = True


class RefTimings(BaseModel):
    snapshot_ms: float = 0.0
    index_ms: float = 0.0
    index_lazy_ms: float = 0.0
    setup_ms: float = 0.0
    agents_ms: float = 0.0
    policy_ms: float = 0.0
    publish_ms: float = 0.0
    log_ms: float = 0.0
    history_ms: float = 0.0
    total_ms: float = 0.0
    startup_ms: float = 0.0
    cli_ms: float = 0.0
    render_ms: float = 0.0
    wall_ms: float = 0.0
    start_cpu_ms: float = 0.0
    agents: dict[str, float] = Field(default_factory=dict)
    agent_procs: dict[str, float] = Field(default_factory=dict)


class RefReviewResult(BaseModel):
    pr: RefPullRequestInfo
    verdicts: list[RefVerdict]
    decision: RefDecision
    timings: RefTimings
    diff_sha256: str = ""
    diff_stats: dict[str, int] = Field(default_factory=dict)
    record_hash: str | None = None
    risk: dict[str, Any] | None = None


FINDINGS = [
    {"id": "Q1", "rule_id": "logic/x", "agent": "logic", "severity": "major", "path": "a.py", "line": 3,
     "end_line": 4, "message": "m", "evidence": ["a.py:3 f"], "suggestion": "s", "same_cause": ["b/y"]},
    {"id": "Q2", "rule_id": "safety/y", "agent": "safety", "severity": Severity.info, "message": "é ✓"},
]
DETAILS = {"files": ["a", "b"], "count": 2, "ratio": 0.5, "whole": 1, "none": None, "flag": True,
           "tuple": (1, "x"), "nested": {"k": [{"a": (2.0, None)}]}, "action": Action.comment, "nan": float("nan"),
           "inf": float("-inf"), "ints": {1: "one"}, "path": Path("src/a.py"), "set": {3}, "frozen": frozenset({4}),
           "date": datetime.date(2024, 1, 2), "bytes": b"xy"}


def _pair(kind: str, **kw: Any) -> tuple[Any, Any]:
    return getattr(m, kind)(**kw), globals()[f"Ref{kind}"](**kw)


def _same(ours: Any, ref: Any) -> None:
    assert json.dumps(ours.model_dump(mode="json")) == json.dumps(ref.model_dump(mode="json"))
    assert list(ours.model_dump()) == list(ref.model_dump())


@pytest.mark.parametrize("data", FINDINGS)
def test_finding_dumps_like_the_pydantic_model(data: dict[str, Any]) -> None:
    _same(*_pair("Finding", **data))


def test_a_full_review_result_dumps_like_the_pydantic_models() -> None:
    tree = {"rule_id": "policy", "description": "d", "status": "fail", "action": "comment", "details": DETAILS,
            "children": [{"rule_id": "c", "description": "e", "status": "pass", "details": {"n": 1}}]}
    verdicts = [{"agent": "logic", "status": "concern", "risk": 1, "confidence": 0.25, "findings": FINDINGS,
                 "tokens": 3, "cost_usd": 0, "elapsed_ms": 12, "notes": ["n"], "error": None},
                {"agent": "intent", "status": Status.abstain, "risk": 1.0, "confidence": 0}]
    pr = {"repo": "o/r", "number": 7, "base_sha": "b" * 40, "head_sha": "h" * 40, "labels": ["x"],
          "committers": ["c"], "checks_passed": None, "description_known": False}
    decision = {"action": "needs_human", "reasons": [{"rule_id": "r", "message": "because"}], "risk": 0,
                "policy_version": "v1", "decision_id": "d1", "tree": tree}
    timings = {"snapshot_ms": 1, "agents_ms": 2.5, "index_lazy_ms": 3, "agents": {"logic": 3, "intent": 0.5}}
    extra = {"diff_sha256": "s", "diff_stats": {"files": 1}, "record_hash": None, "risk": {"status": "scored", "p": 0.1}}

    def build(prefix: str) -> Any:
        mod = m if prefix == "" else globals()
        get = (lambda name: getattr(mod, name)) if prefix == "" else (lambda name: mod[f"Ref{name}"])
        return get("ReviewResult")(
            pr=get("PullRequestInfo")(**pr),
            verdicts=[get("Verdict")(**{**v, "findings": [get("Finding")(**f) for f in v.get("findings", [])]})
                      for v in verdicts],
            decision=get("Decision")(**{**decision, "reasons": [get("Reason")(**r) for r in decision["reasons"]],
                                        "tree": get("RuleResult")(**{**tree, "children": [
                                            get("RuleResult")(**c) for c in tree["children"]]})}),
            timings=get("Timings")(**timings), **extra)

    ours, ref = build(""), build("Ref")
    _same(ours, ref)
    for part in ("pr", "decision", "timings"):
        _same(getattr(ours, part), getattr(ref, part))
    # set after construction, as the pipeline and the CLI do: still dumped as floats
    ours.timings.total_ms, ref.timings.total_ms = 5, 5
    ours.timings.agents["safety"] = ref.timings.agents["safety"] = 2
    _same(ours.timings, ref.timings)


def test_construction_coerces_and_refuses_like_pydantic() -> None:
    v = m.Verdict(agent="a", status="block", risk=1, confidence=0)
    assert v.status is Status.block and type(v.risk) is float and type(v.confidence) is float
    assert m.Finding(**FINDINGS[0]).severity is Severity.major
    assert m.Decision(action="approve", reasons=[], risk=0, policy_version="v", decision_id="d").action is Action.approve
    for bad in ({"risk": 1.5}, {"confidence": -0.1}, {"status": "maybe"}):
        with pytest.raises(ValueError):
            m.Verdict(**{"agent": "a", "status": "pass", "risk": 0.5, "confidence": 0.5, **bad})
    with pytest.raises(ValueError):
        m.Decision(action="approve", reasons=[], risk=2, policy_version="v", decision_id="d")
    with pytest.raises(ValueError):
        m.Finding(**{**FINDINGS[0], "severity": "huge"})
    notes = ["a"]
    v = m.Verdict(agent="a", status="pass", risk=0, confidence=1, notes=notes)
    notes.append("b")  # the record holds its own copy, as the pydantic model did
    assert v.notes == ["a"]


def test_model_copy_replaces_fields_and_checks_them() -> None:
    f = m.Finding(**FINDINGS[0])
    g = f.model_copy(update={"severity": "info", "message": "n"})
    assert g.severity is Severity.info and g.message == "n" and f.message == "m" and g.id == f.id
    with pytest.raises(ValueError):
        m.Verdict(agent="a", status="pass", risk=0, confidence=1).model_copy(update={"risk": 3})
    with pytest.raises(AttributeError):
        f.message = "x"  # type: ignore[misc]  # frozen, as before
    with pytest.raises(ValueError, match="mode"):
        f.model_dump(mode="yaml")


def test_diff_records_coerce_their_kinds_and_copy_their_lists() -> None:
    from bot.core.diff import ChangeKind, Diff, DiffLine, FileChange, Hunk, LineKind, parse_diff  # noqa: PLC0415

    line = DiffLine(kind="+", text="x", new_lineno=1)
    assert line.kind is LineKind.added
    lines = [line]
    hunk = Hunk(source_start=0, source_length=0, target_start=1, target_length=1, lines=lines)
    lines.append(line)
    assert hunk.lines == [line] and hunk.added() == [line]
    change = FileChange(path="a.py", kind="added", hunks=[hunk], additions=1)
    assert change.kind is ChangeKind.added and change.changed_new_lines() == {1}
    diff = Diff(files=[change], sha256="s")
    assert diff.stats() == {"files": 1, "additions": 1, "deletions": 0, "changed_lines": 1}
    assert diff.model_copy(update={"truncated": True}).stats()["truncated"] == 1 and not diff.truncated
    with pytest.raises(ValueError):
        DiffLine(kind="?", text="x")
    text = "diff --git a/a.py b/a.py\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/a.py\n@@ -0,0 +1 @@\n+x = 1\n"
    parsed = parse_diff(text)
    assert parsed.model_dump(mode="json")["files"][0]["hunks"][0]["lines"] == [
        {"kind": "+", "text": "x = 1", "old_lineno": None, "new_lineno": 1}]


def test_model_validate_checks_outside_input_like_the_pydantic_model() -> None:
    from pydantic import ValidationError  # noqa: PLC0415

    stored = {**FINDINGS[0], "line": "3", "unknown": 1}  # a decision-log record's finding, coerced as before
    assert m.Finding.model_validate(stored).model_dump(mode="json") == RefFinding.model_validate(stored).model_dump(mode="json")
    for bad in ({**FINDINGS[0], "severity": "huge"}, {"id": "Q1"}, {**FINDINGS[0], "evidence": "not a list"}):
        with pytest.raises(ValidationError):
            RefFinding.model_validate(bad)
        with pytest.raises(ValidationError):
            m.Finding.model_validate(bad)
    with pytest.raises(ValidationError):
        m.Verdict.model_validate({"agent": "a", "status": "pass", "risk": 3, "confidence": 0})
