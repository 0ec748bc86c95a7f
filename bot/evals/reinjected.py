"""The ``reinjected`` suite: fix PRs from a repository's history, reversed so the bug comes back.

For each selected fix PR ``F`` (a merged PR that :func:`bot.evals.labels.fix_kind` calls a fix)
a synthetic pull request is built whose base is ``F`` and whose head puts back the pre-fix
version of every *runtime source* file the fix changed (tests, docs and build files keep the
fixed version, so nothing but the code gives the bug away). It gets a neutral title,
``Update <file name>``, an empty body and a neutral author. The head commit is made with git
plumbing only (``read-tree`` into a private index file, ``update-index --index-info``,
``write-tree``, ``commit-tree``) in a scratch clone that shares the original's objects
(``git clone --shared --bare``): nothing is checked out and the original repository is never
written to.

**Variant ``unrelated_test``** (``quorum eval --suite reinjected --unrelated-test``):
each synthetic PR also adds one trivially true, unrelated test to the module's test file (the
test file named after the first reversed module, e.g. ``tests/test_mod.py``; created when there
is none), as a real PR often would. A test that exercises none of the changed code must not
make the reversal look tested.

Each case also records what the policy would have decided without ``paths/wide-reach`` among
its hold rules and without the history risk gate (same verdicts, policy re-evaluated), so the
figures say which gates do the holding. Reviews get the repository's history (the scratch
clone), so the risk gate applies as in a review.

Figures: how many reversed fixes would be auto-approved (target 0) and the catch rate: the share
of cases with at least one finding of severity ``minor`` or worse (info notes do not count)
overlapping a reversed hunk (same file, line range intersecting the changed head-side lines),
with a Wilson 95% interval; ``catch_major`` counts only findings of severity ``major`` or worse.

By default the newest fix PRs whose reversal stays within the default policy's size caps
(<= 200 changed lines, <= 10 files) are used, so that approval was possible at all.

Two refinements of the figures (issue 12): ``catch_specific`` counts the cases caught by a rule
other than ``logic/untested-behaviour-change`` (which says only that no test exercises the
change, so it catches every reversal that keeps the fix's tests out); and a reversal whose Python
files differ only in docstrings, comments and type annotations (a reversed docstring or typing
fix) brings back no runtime behaviour: it stays a case, but the ``runtime_*`` figures (approvals,
catch rate) leave it out and ``no_runtime_change_cases`` lists it.
"""

from __future__ import annotations

import ast
import posixpath
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.adapters.gitlocal import Git
from bot.adapters.gitrun import run_git
from bot.core.diff import parse_diff
from bot.core.models import Action, Finding, Severity
from bot.evals.baselines import is_runtime_source
from bot.evals.history import MergedPR, find_merged_prs, head_info
from bot.evals.labels import fix_kind
from bot.evals.stats import rate

DEFAULT_LIMIT = 40
MAX_LINES = 200
MAX_FILES = 10
HELD_BACK = [Action.comment, Action.request_changes, Action.needs_human]

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Quorum Eval",
    "GIT_AUTHOR_EMAIL": "eval@quorum.invalid",
    "GIT_COMMITTER_NAME": "Quorum Eval",
    "GIT_COMMITTER_EMAIL": "eval@quorum.invalid",
}


@dataclass
class Reversal:
    """One reversed fix: the fix PR, the runtime files put back, and per file the head-side line
    ranges ``(first, last)`` of the reversed hunks (where a catching finding must land)."""

    fix: MergedPR
    files: list[str]
    hunks: dict[str, list[tuple[int, int]]]
    changed_lines: int
    title: str
    test_path: str | None = None
    runtime_change: bool = True
    """False when every reversed file is Python whose two versions differ only in docstrings,
    comments, layout and type annotations (see :func:`same_at_runtime`): the reversal brings back
    no runtime behaviour, so approving it is not approving a bug."""

    @property
    def case_id(self) -> str:
        """``reinjected-<PR number>-<sha[:8]>``."""
        return f"reinjected-{self.fix.number}-{self.fix.sha[:8]}"


@dataclass
class ReinjectedResult:
    """What happened to one reversed fix. ``action`` None: the case errored (``error`` says why)."""

    reversal: Reversal
    action: str | None
    caught: bool
    catching: list[Finding] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    latency_ms: float = 0.0
    action_without_wide_reach: str | None = None
    action_without_risk: str | None = None
    risk_probability: float | None = None
    unrelated_test: str | None = None


def _identity(index_file: str | None = None) -> dict[str, str]:
    env = dict(_IDENTITY)
    if index_file:
        env["GIT_INDEX_FILE"] = index_file
    return env


def _run(repo: Path, *args: str, index_file: str | None = None, stdin: bytes | None = None) -> str:
    return run_git(repo, *args, input=stdin, env=_identity(index_file)).stdout.decode("utf-8", "replace").strip()


def scratch_clone(repo: Path, dest: Path) -> Path:
    """A bare clone of ``repo`` at ``dest`` sharing its objects (``--shared``): synthetic commits
    are written there, never into ``repo``. Returns ``dest``. Raises GitError when git fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    run_git(dest.parent, "clone", "--quiet", "--shared", "--bare", "--no-hardlinks", "--", str(repo), str(dest))
    return dest


def plan_reversal(repo: Path, fix: MergedPR) -> Reversal | None:
    """The reversal of ``fix`` restricted to runtime source files, or None when the fix changed no
    runtime source file. Reads ``git diff -U0 <fix> <fix's parent>`` of those files (read-only):
    the hunk ranges are the changed lines only, without context."""
    names = Git(repo).run("diff", "--name-only", "--no-renames", "-z", fix.base, fix.sha, "--").decode("utf-8", "replace")
    files = sorted(p for p in names.split("\0") if p and is_runtime_source(p))
    if not files:
        return None
    raw = Git(repo).run(
        "diff", "-U0", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
        "--src-prefix=a/", "--dst-prefix=b/", fix.sha, fix.base, "--", *files,
    ).decode("utf-8", "surrogateescape")
    diff = parse_diff(raw)
    hunks: dict[str, list[tuple[int, int]]] = {}
    for fc in diff.files:
        ranges = []
        for h in fc.hunks:
            first = h.target_start
            last = h.target_start + max(h.target_length, 1) - 1
            if h.target_length == 0:  # pure deletion: the lines around the gap
                first, last = max(1, h.target_start), h.target_start + 1
            ranges.append((first, last))
        if ranges:
            hunks[fc.path] = ranges
    if not hunks:
        return None
    name = Path(files[0]).name
    git = Git(repo)
    runtime = not all(
        same_at_runtime(path, _blob(git, fix.sha, path), _blob(git, fix.base, path)) for path in hunks
    )
    return Reversal(fix=fix, files=files, hunks=hunks, changed_lines=diff.changed_lines, title=f"Update {name}",
                    runtime_change=runtime)


def _blob(git: Git, rev: str, path: str) -> bytes | None:
    try:
        return git.run("cat-file", "blob", f"{rev}:{path}", max_bytes=4 * 1024 * 1024)
    except Exception:  # noqa: BLE001 - a missing or unreadable file is a runtime change
        return None


class _Runtime(ast.NodeTransformer):
    """Drops what Python does not run: docstrings and every other bare string statement (an
    attribute docstring, the string under ``x: int`` in a class, is a no-op too), and type
    annotations (``x: int = 1`` keeps the assignment)."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                kept = [s for s in stmts if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                 and isinstance(s.value.value, str))]
                if len(kept) != len(stmts):
                    setattr(node, name, kept or [ast.Pass()])
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802 - ast API
        node.returns = None
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:  # noqa: N802
        if node.value is None:
            return None
        return ast.Assign(targets=[node.target], value=self.visit(node.value), lineno=node.lineno)


def same_at_runtime(path: str, a: bytes | None, b: bytes | None) -> bool:
    """True when ``path`` is a Python file and versions ``a`` and ``b`` parse to the same syntax
    tree once docstrings, comments, layout and type annotations are set aside (``ast``, nothing is
    imported or run). False for other languages, missing versions and unparsable code."""
    if not path.endswith((".py", ".pyi")) or a is None or b is None:
        return False
    try:
        trees = [ast.dump(_Runtime().visit(ast.parse(x))) for x in (a, b)]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return trees[0] == trees[1]


_UNRELATED_TESTS = {
    ".py": "\n\ndef test_quorum_unrelated_sanity():\n    assert 1 + 1 == 2\n",
    ".go": "\n\nfunc TestQuorumUnrelatedSanity(t *testing.T) {\n\tif 1+1 != 2 {\n\t\tt.Fatal(\"math\")\n\t}\n}\n",
    ".js": "\n\ntest('quorum unrelated sanity', () => {\n  expect(1 + 1).toBe(2);\n});\n",
    ".ts": "\n\ntest('quorum unrelated sanity', () => {\n  expect(1 + 1).toBe(2);\n});\n",
}


def unrelated_test_path(files: dict[str, str], module: str) -> str | None:
    """The test file of ``module`` among ``files`` (paths of the tree): ``test_<stem>.py`` /
    ``<stem>_test.py`` / ``<stem>_test.go`` / ``<stem>.test.[jt]s`` / ``<stem>.spec.[jt]s``,
    preferring one under a ``tests``-like directory; else a new ``tests/test_<stem>.py`` (Python)
    or ``<dir>/<stem>_test.go`` / ``<dir>/<stem>.test.<ext>``. None for other languages."""
    from bot.core.paths import is_test_path  # noqa: PLC0415

    stem, ext = posixpath.splitext(posixpath.basename(module))
    if ext not in _UNRELATED_TESTS and ext not in (".mjs", ".cjs", ".tsx", ".jsx"):
        return None
    names = {f"test_{stem}.py", f"{stem}_test.py", f"{stem}_test.go", f"{stem}.test.js", f"{stem}.test.ts",
             f"{stem}.spec.js", f"{stem}.spec.ts"}
    found = sorted((p for p in files if posixpath.basename(p) in names and is_test_path(p)), key=len)
    if found:
        return found[0]
    if ext == ".py":
        return f"tests/test_{stem}.py"
    if ext == ".go":
        return posixpath.join(posixpath.dirname(module), f"{stem}_test.go")
    return posixpath.join(posixpath.dirname(module), f"{stem}.test.{'ts' if ext.startswith('.t') else 'js'}")


def build_reversal(scratch: Path, reversal: Reversal, workdir: Path, *, unrelated_test: bool = False) -> str:
    """Make the synthetic head commit in ``scratch``: the fix's tree with each runtime file put back
    to its version in the fix's parent (removed when the fix added it), parent = the fix commit.
    With ``unrelated_test``, also append a trivially true test to the first module's test file
    (see :func:`unrelated_test_path`; recorded in ``reversal.test_path``). Uses a private index
    file below ``workdir``. Returns the commit SHA; raises GitError."""
    fix = reversal.fix
    index = str(workdir / f"index-{fix.sha[:12]}")
    _run(scratch, "read-tree", fix.sha, index_file=index)
    lines = []
    for path in reversal.files:
        entry = _run(scratch, "ls-tree", "-z", fix.base, "--", path).rstrip("\0")
        if entry:
            meta, _, _ = entry.partition("\t")
            mode, _, blob = meta.split()
            lines.append(f"{mode} {blob}\t{path}")
        else:
            lines.append(f"0 {'0' * 40}\t{path}")
    if unrelated_test:
        tree_files = {}
        for entry in _run(scratch, "ls-tree", "-r", "-z", fix.sha).split("\0"):
            meta, _, p = entry.partition("\t")
            if p:
                tree_files[p] = meta.split()[2]
        test_path = unrelated_test_path(tree_files, reversal.files[0])
        if test_path is not None:
            old = _run(scratch, "cat-file", "blob", tree_files[test_path]) if test_path in tree_files else ""
            ext = posixpath.splitext(test_path)[1]
            if not old and ext == ".go":
                old = "package " + posixpath.basename(posixpath.dirname(test_path) or "main") + "\n\nimport \"testing\"\n"
            body = old + _UNRELATED_TESTS.get(ext, _UNRELATED_TESTS[".js"])
            blob = _run(scratch, "hash-object", "-w", "--stdin", stdin=body.encode("utf-8", "surrogateescape"))
            lines.append(f"100644 {blob}\t{test_path}")
            reversal.test_path = test_path
    _run(scratch, "update-index", "-z", "--index-info", index_file=index,
         stdin="".join(line + "\0" for line in lines).encode("utf-8", "surrogateescape"))
    tree = _run(scratch, "write-tree", index_file=index)
    return _run(scratch, "commit-tree", tree, "-p", fix.sha, "-m", reversal.title)


def overlaps(finding: Finding, hunks: dict[str, list[tuple[int, int]]]) -> bool:
    """True when ``finding`` sits in a reversed file and its lines intersect a reversed hunk."""
    if finding.path is None or finding.line is None or finding.path not in hunks:
        return False
    first, last = finding.line, finding.end_line if finding.end_line is not None else finding.line
    return any(first <= b and a <= last for a, b in hunks[finding.path])


def select_fixes(
    prs: Sequence[MergedPR],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    exclude: set[str] | None = None,
) -> list[MergedPR]:
    """Fix PRs among ``prs`` (see :func:`bot.evals.labels.fix_kind`), newest first, in the window."""
    out = []
    for pr in sorted(prs, key=lambda p: p.timestamp, reverse=True):
        if since is not None and pr.date < _aware(since):
            continue
        if until is not None and pr.date > _aware(until):
            continue
        if exclude and pr.sha in exclude:
            continue
        if fix_kind(pr) is not None:
            out.append(pr)
    return out


def _aware(d: datetime) -> datetime:
    from datetime import UTC  # noqa: PLC0415

    return d if d.tzinfo else d.replace(tzinfo=UTC)


def run_reinjected(
    repo: Path,
    *,
    limit: int = DEFAULT_LIMIT,
    sample: int | None = None,
    seed: int = 0,
    since: datetime | None = None,
    until: datetime | None = None,
    max_lines: int = MAX_LINES,
    max_files: int = MAX_FILES,
    policy_text: str | None = None,
    reasoner: Any | None = None,
    cache_dir: Path | None = None,
    on_done: Callable[[ReinjectedResult], None] | None = None,
    unrelated_test: bool = False,
) -> tuple[list[ReinjectedResult], dict[str, Any]]:
    """Reverse up to ``limit`` fix PRs of ``repo`` (newest first, or a seeded ``sample`` of the
    eligible ones) and review each. Returns the results and the figures (see the module doc).

    Raises SourceError for a path that is not a git repository; a case that fails to build or
    review is an error result (never an approval).
    """
    import random  # noqa: PLC0415

    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.pipeline import PipelineOptions, run_review  # noqa: PLC0415
    from bot.evals.runner import available_agents  # noqa: PLC0415
    from subagents import default_agents  # noqa: PLC0415

    repo = Path(repo).expanduser().resolve()
    head_sha, _ = head_info(repo)
    fixes = select_fixes(find_merged_prs(repo, ref=head_sha), since=since, until=until)
    plans: list[Reversal] = []
    for fix in fixes:
        plan = plan_reversal(repo, fix)
        if plan is not None and plan.changed_lines <= max_lines and len(plan.files) <= max_files:
            plans.append(plan)
            if sample is None and len(plans) >= limit:
                break
    if sample is not None and sample < len(plans):
        plans = random.Random(seed).sample(plans, sample)
    plans = plans[:limit]
    present, missing = available_agents()
    results: list[ReinjectedResult] = []
    with tempfile.TemporaryDirectory(prefix="quorum-reinjected-") as tmp:
        work = Path(tmp)
        scratch = scratch_clone(repo, work / "scratch.git")
        options = PipelineOptions(policy_text=policy_text, reasoner=reasoner, cache_dir=cache_dir or work / "index")
        if missing:
            options.agents = default_agents(present)
        from bot.history.cache import HistoryCache  # noqa: PLC0415
        from bot.history.gitlog import LocalHistory  # noqa: PLC0415

        options.history = LocalHistory(scratch, HistoryCache((cache_dir or work) / "history.sqlite"))
        for plan in plans:
            t0 = time.perf_counter()
            try:
                head = build_reversal(scratch, plan, work, unrelated_test=unrelated_test)
                outcome = run_review(LocalGitSource(scratch, base=plan.fix.sha, head=head, title=plan.title, body="",
                                                    author="Quorum Eval"), options)
                result = outcome.result
            except Exception as exc:  # noqa: BLE001 - a case that cannot run is reported, never approved
                res = ReinjectedResult(reversal=plan, action=None, caught=False, error=f"{type(exc).__name__}: {exc}"[:500])
            else:
                findings = [f for v in result.verdicts for f in v.findings]
                catching = [f for f in findings if f.severity.rank >= Severity.minor.rank and overlaps(f, plan.hunks)]
                res = ReinjectedResult(
                    reversal=plan, action=result.decision.action.value, caught=bool(catching), catching=catching,
                    findings=findings, reasons=[r.rule_id for r in result.decision.reasons],
                    statuses={v.agent: v.status.value for v in result.verdicts},
                )
                res.action_without_wide_reach, res.action_without_risk = _counterfactuals(outcome.snapshot, result, policy_text)
                res.risk_probability = (result.risk or {}).get("probability")
                res.unrelated_test = plan.test_path
            res.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
            results.append(res)
            if on_done is not None:
                on_done(res)
        shutil.rmtree(scratch, ignore_errors=True)
    figures = reinjected_figures(results)
    figures.update(repo=str(repo), head=head_sha, fix_prs_found=len(fixes))
    if missing:
        figures["missing_agents"] = missing
    return results, figures


WIDE_REACH = "paths/wide-reach"
UNTESTED = "logic/untested-behaviour-change"
"""The rule that says only "untested": ``catch_specific`` counts catches by any other rule."""


def _counterfactuals(snapshot: Any, result: Any, policy_text: str | None) -> tuple[str, str]:
    """The actions the same verdicts would get with ``paths/wide-reach`` dropped from the hold
    rules (risk gate kept), and without the risk gate (hold rules kept)."""
    from bot.policy import PolicyInput, evaluate, load_policy  # noqa: PLC0415

    policy = load_policy(policy_text if policy_text is not None else snapshot.policy_text, source="policy")
    aa = policy.auto_approve.model_copy(update={"hold_rules": [r for r in policy.auto_approve.hold_rules if r != WIDE_REACH]})
    no_wide = policy.model_copy(update={"auto_approve": aa})
    risk = None
    if result.risk is not None:
        from bot.risk.assess import RiskAssessment  # noqa: PLC0415

        risk = RiskAssessment.model_validate(result.risk)
    facts = PolicyInput(pr=snapshot.pr, diff=snapshot.diff, verdicts=result.verdicts, risk=risk)
    return (evaluate(no_wide, facts).action.value,
            evaluate(policy, facts.model_copy(update={"risk": None})).action.value)


def reinjected_figures(results: Sequence[ReinjectedResult]) -> dict[str, Any]:
    """``cases``, ``errors``, ``auto_approved`` (target 0) with its rate, ``catch`` (catch rate with a
    Wilson 95% interval), ``catch_major`` (the same with findings of severity >= major only),
    ``actions``, ``catching_rules`` (rule id -> cases it caught), ``catch_specific`` (caught by a
    rule other than ``logic/untested-behaviour-change``, which says only that no test exercises
    the change), and the same figures over the reversals that change runtime behaviour
    (``runtime_*``; ``no_runtime_change_cases`` lists the others, e.g. reversed docstring or
    annotation fixes); ``catching_by_case``: case id -> catching rule ids."""
    n = len(results)
    approved = [r for r in results if r.action == Action.approve.value]
    caught = [r for r in results if r.caught]
    major = [r for r in results if any(f.severity.rank >= Severity.major.rank for f in r.catching)]
    rules: Counter[str] = Counter()
    for r in caught:
        for rid in {f.rule_id for f in r.catching}:
            rules[rid] += 1
    specific = [r for r in results if any(f.rule_id != UNTESTED for f in r.catching)]
    runtime = [r for r in results if r.reversal.runtime_change]
    runtime_approved = [r for r in runtime if r.action == Action.approve.value]
    runtime_caught = [r for r in runtime if r.caught]
    return {
        "cases": n,
        "errors": sum(r.action is None for r in results),
        "auto_approved": len(approved),
        "auto_approved_rate": rate(len(approved), n).pct(),
        "auto_approved_cases": [r.reversal.case_id for r in approved],
        "catch_rate": rate(len(caught), n).pct(),
        "catch": rate(len(caught), n).as_dict(),
        "catch_rate_major": rate(len(major), n).pct(),
        "catch_major": rate(len(major), n).as_dict(),
        "approved_though_caught": sum(r.caught and r.action == Action.approve.value for r in results),
        "caught_and_held_back": sum(r.caught and r.action not in (None, Action.approve.value) for r in results),
        "actions": dict(Counter(r.action or "error" for r in results)),
        "catching_rules": dict(rules.most_common()),
        "auto_approved_without_wide_reach": sum(r.action_without_wide_reach == Action.approve.value for r in results),
        "auto_approved_without_risk_gate": sum(r.action_without_risk == Action.approve.value for r in results),
        "with_unrelated_test": sum(r.unrelated_test is not None for r in results),
        "catch_rate_specific": rate(len(specific), n).pct(),
        "catch_specific": rate(len(specific), n).as_dict(),
        "no_runtime_change_cases": [r.reversal.case_id for r in results if not r.reversal.runtime_change],
        "runtime_cases": len(runtime),
        "runtime_auto_approved": len(runtime_approved),
        "runtime_auto_approved_rate": rate(len(runtime_approved), len(runtime)).pct(),
        "runtime_catch_rate": rate(len(runtime_caught), len(runtime)).pct(),
        "runtime_auto_approved_without_wide_reach": sum(r.action_without_wide_reach == Action.approve.value for r in runtime),
        "catching_by_case": {r.reversal.case_id: sorted({f.rule_id for f in r.catching}) for r in results},
    }


def run(config: Any) -> Any:
    """The suite entry point for ``quorum eval --suite reinjected --repo PATH`` (a
    :class:`bot.evals.suites.SuiteConfig` in, a :class:`bot.evals.suites.SuiteReport` out).

    ``config.extra`` may hold ``limit``, ``sample``, ``seed``, ``since``, ``until`` (datetimes),
    ``cache_dir``. Raises ScenarioError when no ``--repo`` was given.
    """
    from bot.evals.metrics import CaseMatch  # noqa: PLC0415
    from bot.evals.runner import CaseOutcome  # noqa: PLC0415
    from bot.evals.scenarios import ScenarioError  # noqa: PLC0415
    from bot.evals.suites import SuiteReport  # noqa: PLC0415

    if config.repo is None:
        raise ScenarioError("the reinjected suite needs --repo PATH (a local clone with merged PRs)")
    extra = dict(config.extra or {})
    start = time.perf_counter()
    results, figures = run_reinjected(
        Path(config.repo), limit=int(extra.get("limit", DEFAULT_LIMIT)), sample=extra.get("sample"),
        seed=int(extra.get("seed", 0)), since=extra.get("since"), until=extra.get("until"),
        policy_text=config.policy_text, reasoner=config.reasoner, cache_dir=extra.get("cache_dir"),
        unrelated_test=bool(extra.get("unrelated_test")),
    )
    cases = []
    for r in results:
        action = Action(r.action) if r.action else None
        cases.append(CaseOutcome(
            id=r.reversal.case_id, suite="reinjected", focus="policy", language="mixed", clean=False,
            expected=list(HELD_BACK), action=action, decision_ok=action is not None and action is not Action.approve,
            statuses=r.statuses, reasons=r.reasons, findings=r.findings, match=CaseMatch(), error=r.error,
            review_ms=r.latency_ms,
        ))
    notes = [f"reversed fix PR #{r.reversal.fix.number} ({r.reversal.fix.title[:70]}) was auto-approved"
             for r in results if r.action == Action.approve.value]
    if figures.get("missing_agents"):
        notes.append(f"agents missing: {', '.join(figures['missing_agents'])} (no approval possible)")
    return SuiteReport(
        suite="reinjected", model=config.model or "offline", suite_dir=str(config.repo),
        elapsed_s=round(time.perf_counter() - start, 2), figures=figures, notes=notes, cases=cases,
    )


__all__ = [
    "Reversal", "ReinjectedResult", "build_reversal", "overlaps", "plan_reversal", "reinjected_figures",
    "run", "run_reinjected", "scratch_clone", "select_fixes",
]
