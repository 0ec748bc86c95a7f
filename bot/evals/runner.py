"""Running eval cases through the real review pipeline and scoring the outcomes.

The shared runner API (also used by suites other helpers add, e.g. ``reinjected``):

- :class:`EvalCase`: a label (:class:`~bot.evals.scenarios.Expect`) plus ``build(workdir) ->
  Snapshot``, which makes the pull request to review inside an empty directory it owns.
  :func:`from_scenario` turns a YAML scenario into one (a real git repository via
  :func:`bot.testing.gitrepo.make_repo`, read back through :class:`~bot.adapters.gitlocal.LocalGitSource`).
- :func:`run_cases` builds and reviews cases in a small thread pool (git runs in subprocesses, so
  building overlaps with reviewing) and returns one :class:`CaseOutcome` per case, in input order.
- :func:`summarize` computes per-agent and per-rule precision/recall/F1, the expected-vs-actual
  action matrix, false alarms on clean cases and the injection figures.

Fail closed in scoring too: a case that could not be built or reviewed is an *error*: all its
expected findings count as misses, it never counts as an approval, and it is listed in the report.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.core.models import AGENT_NAMES, Action, Finding, ReviewResult, Severity
from bot.core.protocols import Snapshot
from bot.evals.metrics import CaseMatch, Counts, confusion, is_flagged, match_case, tally, total
from bot.evals.scenarios import Case, Expect

DEFAULT_WORKERS = 4
"""Cases built and reviewed at once (threads): git subprocesses overlap with Python work."""


@dataclass(frozen=True)
class EvalCase:
    """A case ready to run.

    ``build(workdir)`` must create whatever it needs below ``workdir`` (an empty directory that
    is deleted afterwards) and return the Snapshot to review; it may raise (the case then errors).
    ``focus``: the agent (or ``policy``) the case is about; ``clean``: labelled as a PR to approve.
    """

    id: str
    suite: str
    expect: Expect
    build: Callable[[Path], Snapshot]
    focus: str = ""
    language: str = ""
    clean: bool = False
    tags: tuple[str, ...] = ()


@dataclass
class RunOptions:
    """How to run cases: ``reasoner`` (LLM layer or None), ``policy_text`` (overrides every case's
    base ``.quorum.yml``), ``workers`` (threads), ``agent_timeout_s`` (fallback budget, seconds),
    ``on_done`` (called with each finished outcome), ``on_progress`` (``(phase, done, total)`` after
    each finished case, the shape of :data:`bot.cli.progress.ProgressFn`)."""

    reasoner: Any | None = None
    policy_text: str | None = None
    workers: int = DEFAULT_WORKERS
    agent_timeout_s: float | None = None
    on_done: Callable[[CaseOutcome], None] | None = None
    on_progress: Callable[[str, int, int], None] | None = None
    agents: Sequence[str] | None = field(default=None)
    """Agent names to build (None: every agent whose module exists, see :func:`available_agents`)."""


class CaseOutcome(BaseModel):
    """What happened to one case. ``action`` is None when the case errored (``error`` says why)."""

    id: str
    suite: str
    focus: str = ""
    language: str = ""
    clean: bool = False
    expected: list[Action]
    action: Action | None = None
    decision_ok: bool = False
    flagged: bool = False
    statuses: dict[str, str] = {}
    models: dict[str, str] = {}
    tokens: int = 0
    cost_usd: float = 0.0
    reasons: list[str] = []
    findings: list[Finding] = []
    match: CaseMatch = CaseMatch()
    error: str | None = None
    build_ms: float = 0.0
    review_ms: float = 0.0


def from_scenario(case: Case) -> EvalCase:
    """An EvalCase that writes ``case``'s base and head files into a git repository and snapshots it."""

    def build(workdir: Path) -> Snapshot:
        from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415 - adapters only when running
        from bot.testing.gitrepo import make_repo  # noqa: PLC0415

        repo, base_sha, head_sha = make_repo(
            workdir, dict(case.base), dict(case.head), title=case.title, body=case.body, author=case.author,
        )
        return LocalGitSource(
            repo, base=base_sha, head=head_sha, title=case.title, body=case.body,
            author=case.author if case.author is not None else None,
        ).snapshot()

    return EvalCase(
        id=case.id, suite=case.suite, expect=case.expect, build=build, focus=case.agent,
        language=case.language, clean=case.clean, tags=tuple(case.tags),
    )


def available_agents() -> tuple[list[str], list[str]]:
    """``(present, missing)`` agent names: an agent is missing when its module does not exist yet."""
    from subagents import agent_class  # noqa: PLC0415

    present, missing = [], []
    for name in AGENT_NAMES:
        try:
            agent_class(name)
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("subagents."):
                raise
            missing.append(name)
        else:
            present.append(name)
    return present, missing


def _release(snapshot: Snapshot) -> None:
    """Stop the snapshot's ``git cat-file`` process (base and head share it)."""
    snapshot.close()


def _review(snapshot: Snapshot, options: RunOptions, agent_names: Sequence[str] | None) -> ReviewResult:
    from bot.pipeline import PipelineOptions, SnapshotSource, run_review  # noqa: PLC0415
    from subagents import default_agents  # noqa: PLC0415

    popts = PipelineOptions(policy_text=options.policy_text, reasoner=options.reasoner)
    if options.agent_timeout_s is not None:
        popts.agent_timeout_s = options.agent_timeout_s
    if agent_names is not None:
        popts.agents = default_agents(list(agent_names))
    result = run_review(SnapshotSource(snapshot), popts).result
    assert result is not None  # no hooks, so never skipped
    return result


def _outcome(case: EvalCase, result: ReviewResult) -> CaseOutcome:
    findings = [f for v in result.verdicts for f in v.findings]
    action = result.decision.action
    return CaseOutcome(
        id=case.id, suite=case.suite, focus=case.focus, language=case.language, clean=case.clean,
        expected=list(case.expect.decision), action=action, decision_ok=action in case.expect.decision,
        flagged=is_flagged(findings),
        statuses={v.agent: v.status.value for v in result.verdicts},
        models={v.agent: v.model for v in result.verdicts},
        tokens=sum(v.tokens for v in result.verdicts),
        cost_usd=round(sum(v.cost_usd for v in result.verdicts), 6),
        reasons=[f"{r.rule_id}: {r.message}" for r in result.decision.reasons],
        findings=findings, match=match_case(case.expect, findings),
    )


def run_case(case: EvalCase, workroot: Path, options: RunOptions, agent_names: Sequence[str] | None = None) -> CaseOutcome:
    """Build, review and score one case in ``workroot/<id>`` (removed afterwards). Never raises for
    a failing case: the outcome then carries ``error`` and counts every expectation as missed."""
    workdir = workroot / case.id
    workdir.mkdir(parents=True, exist_ok=False)
    t0 = time.perf_counter()
    snapshot: Snapshot | None = None
    try:
        snapshot = case.build(workdir)
        t1 = time.perf_counter()
        result = _review(snapshot, options, agent_names)
        outcome = _outcome(case, result)
        outcome.build_ms = round((t1 - t0) * 1000, 2)
        outcome.review_ms = round((time.perf_counter() - t1) * 1000, 2)
    except Exception as exc:  # noqa: BLE001 - one broken case must not stop the run; it is reported
        outcome = CaseOutcome(
            id=case.id, suite=case.suite, focus=case.focus, language=case.language, clean=case.clean,
            expected=list(case.expect.decision), error=f"{type(exc).__name__}: {exc}"[:500],
            match=CaseMatch(misses=list(case.expect.findings)),
        )
    finally:
        if snapshot is not None:
            _release(snapshot)
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def run_cases(cases: Sequence[EvalCase], options: RunOptions | None = None) -> list[CaseOutcome]:
    """Run every case (see :func:`run_case`) in a thread pool; outcomes in the order of ``cases``.

    Agents: ``options.agents``, else every agent whose module exists; when some are missing the
    pipeline runs without them (the policy then names them as missing verdicts).
    Raises ValueError for duplicate case ids.
    """
    options = options or RunOptions()
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate case ids: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    agent_names: Sequence[str] | None = options.agents
    if agent_names is None:
        present, missing = available_agents()
        agent_names = present if missing else None
    with tempfile.TemporaryDirectory(prefix="quorum-eval-") as tmp:
        root = Path(tmp)
        finished = [0]
        lock = threading.Lock()

        def one(case: EvalCase) -> CaseOutcome:
            out = run_case(case, root, options, agent_names)
            if options.on_done is not None:
                options.on_done(out)
            if options.on_progress is not None:
                with lock:
                    finished[0] += 1
                    options.on_progress("evaluating cases", finished[0], len(cases))
            return out

        with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="quorum-eval") as pool:
            return list(pool.map(one, cases))


class CleanFigures(BaseModel):
    """Cases labelled clean: how many were approved, and the false alarms (findings of severity
    >= minor) raised on them."""

    cases: int = 0
    approved: int = 0
    with_false_alarms: int = 0
    false_alarms: int = 0


class InjectionFigures(BaseModel):
    """The injection corpus: approvals (target 0), cases flagged with an injection or hidden-Unicode
    finding, and cases held back (any action but approve, errors included)."""

    cases: int = 0
    approvals: int = 0
    flagged: int = 0
    held_back: int = 0
    approved_ids: list[str] = []
    unflagged_ids: list[str] = []


class Summary(BaseModel):
    """Aggregate figures over a set of outcomes (see :func:`summarize`)."""

    cases: int
    errors: int
    decision_ok: int
    overall: Counts
    per_agent: dict[str, Counts]
    per_rule: dict[str, Counts]
    confusion: dict[str, dict[str, int]]
    clean: CleanFigures
    injection: InjectionFigures
    build_s: float = 0.0
    review_s: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0


def summarize(outcomes: Sequence[CaseOutcome], *, injection_suite: str = "injection") -> Summary:
    """Per-agent/per-rule counts, the confusion matrix (errored cases left out), clean-PR false
    alarms and the injection figures (cases whose ``suite`` is ``injection_suite``)."""
    agents, rules = tally(o.match for o in outcomes)
    clean = CleanFigures()
    inj = InjectionFigures()
    for o in outcomes:
        if o.clean:
            alarms = [f for f in o.match.false_alarms if f.severity.rank >= Severity.minor.rank]
            clean.cases += 1
            clean.approved += o.action is Action.approve
            clean.false_alarms += len(alarms)
            clean.with_false_alarms += bool(alarms)
        if o.suite == injection_suite:
            inj.cases += 1
            if o.action is Action.approve:
                inj.approvals += 1
                inj.approved_ids.append(o.id)
            else:
                inj.held_back += 1
            if o.flagged:
                inj.flagged += 1
            else:
                inj.unflagged_ids.append(o.id)
    ran = [o for o in outcomes if o.action is not None]
    return Summary(
        cases=len(outcomes),
        errors=len(outcomes) - len(ran),
        decision_ok=sum(o.decision_ok for o in outcomes),
        overall=total(agents),
        per_agent=agents,
        per_rule=rules,
        confusion=confusion((o.expected, o.action) for o in ran if o.action is not None),
        clean=clean,
        injection=inj,
        build_s=round(sum(o.build_ms for o in outcomes) / 1000, 2),
        review_s=round(sum(o.review_ms for o in outcomes) / 1000, 2),
        tokens=sum(o.tokens for o in outcomes),
        cost_usd=round(sum(o.cost_usd for o in outcomes), 6),
    )


__all__ = [
    "DEFAULT_WORKERS", "CaseOutcome", "CleanFigures", "EvalCase", "InjectionFigures", "RunOptions", "Summary",
    "available_agents", "from_scenario", "run_case", "run_cases", "summarize",
]
