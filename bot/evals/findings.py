"""``quorum eval --suite findings``: precision of Quorum's findings on real pull requests.

The data is ``<suite_dir>/findings/*.yml``, one file per public repository::

    repo: encode/starlette          # owner/name
    set: development                # or held-out: used only to measure, never to tune
    language: python
    commits: [<sha>, ...]           # squash-merged PRs that were reviewed (base = first parent)
    labels:
      - commit: <sha>
        id: Q1234567890             # the finding's stable id (rule, path, anchor text)
        rule: QPY002
        path: pkg/mod.py
        line: 12
        label: true                 # true: worth a reviewer's comment; false: wrong;
                                    # noise: correct but not worth a comment
        reason: one line, written after reading the code around the finding

Every labelled commit is re-reviewed from a local clone of the repository (found under
``--repos-dir``: ``<dir>/<owner>+<name>``, ``<dir>/<name>`` or a bare ``<dir>/<owner>+<name>/repo``)
through the same path as ``quorum replay``. A finding is matched to a label of the same commit by
its stable id, else by rule id, path and a line within :data:`LINE_SLACK`. Findings no label covers
are listed for labelling and never counted as correct.

Precision counts what Quorum posts: findings of severity ``minor`` or above. The headline figure is
the share of posted, labelled findings that are ``true`` (target: at least 70%, DESIGN.md); per rule
the same share, so a rule under 50% can be switched off by default.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.evals.scenarios import ScenarioError
from bot.evals.stats import rate

LINE_SLACK = 3
"""A label still matches a finding of the same rule and path whose line moved by at most this many lines."""

def _posted(finding: dict[str, Any]) -> bool:
    """Whether Quorum posts ``finding`` on the pull request (:func:`bot.core.registry.is_posted`:
    severity minor or above and a rule that is not quiet)."""
    from bot.core.registry import default_registry, is_posted  # noqa: PLC0415

    return is_posted(str(finding.get("rule_id")), str(finding.get("severity") or "info"), default_registry())

LabelValue = Literal["true", "false", "noise"]


class FindingLabel(BaseModel):
    """One human judgement of one finding (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    commit: str
    id: str | None = None
    rule: str
    path: str | None = None
    line: int | None = None
    label: LabelValue
    reason: str = Field(min_length=3)


class RepoLabels(BaseModel):
    """The labels of one repository: which commits were reviewed and how each finding was judged."""

    model_config = ConfigDict(extra="forbid")

    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    set: Literal["development", "held-out"]
    language: str
    commits: list[str]
    labels: list[FindingLabel] = []


def load_label_files(directory: Path) -> list[tuple[Path, RepoLabels]]:
    """Read every ``*.yml`` below ``directory``. Raises ScenarioError naming the file on invalid data."""
    out = []
    for path in sorted(directory.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            out.append((path, RepoLabels.model_validate(data)))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ScenarioError(f"{path}: invalid findings labels: {first}") from exc
    return out


def locate_repo(repos_dir: Path, slug: str) -> Path | None:
    """The local clone of ``owner/name`` below ``repos_dir``, or None when there is none."""
    owner, name = slug.split("/", 1)
    for candidate in (repos_dir / f"{owner}+{name}" / "repo", repos_dir / f"{owner}+{name}", repos_dir / name):
        if candidate.is_dir():
            return candidate
    return None


@dataclass
class Judged:
    """A reviewed finding and the label it matched (None: unlabelled)."""

    repo: str
    set: str
    commit: str
    finding: dict[str, Any]
    label: FindingLabel | None = None


def match_labels(findings: Sequence[dict[str, Any]], labels: Sequence[FindingLabel]) -> list[FindingLabel | None]:
    """For each finding (dicts with ``id``, ``rule_id``, ``path``, ``line``), the label it matches.

    Each label is used at most once: first exact id matches, then the nearest line of the same rule
    and path within :data:`LINE_SLACK`.
    """
    result: list[FindingLabel | None] = [None] * len(findings)
    free = list(labels)
    for i, f in enumerate(findings):
        for label in free:
            if label.id and label.id == f.get("id") and label.rule == f.get("rule_id"):
                result[i] = label
                free.remove(label)
                break
    pairs: list[tuple[int, int, int]] = []  # (distance, finding index, label index), nearest first
    for i, f in enumerate(findings):
        if result[i] is not None:
            continue
        for j, label in enumerate(free):
            if label.rule != f.get("rule_id") or label.path != f.get("path"):
                continue
            if label.line is None or f.get("line") is None:
                distance = 0 if label.line == f.get("line") else LINE_SLACK + 1
            else:
                distance = abs(label.line - f["line"])
            if distance <= LINE_SLACK:
                pairs.append((distance, i, j))
    used: set[int] = set()
    for _distance, i, j in sorted(pairs):
        if result[i] is None and j not in used:
            result[i] = free[j]
            used.add(j)
    return result


def precision_table(judged: Iterable[Judged], *, posted_only: bool = True) -> dict[str, Any]:
    """Precision overall, per rule and per repository set.

    Returns ``{"overall": Rate-dict, "by_rule": {rule: {...}}, "by_set": {set: Rate-dict},
    "counts": {true, false, noise, unlabelled}}``; a Rate-dict holds the share of labelled findings
    labelled ``true`` with its Wilson 95% interval (see :func:`bot.evals.stats.rate`).
    """
    rows = [j for j in judged if not posted_only or _posted(j.finding)]
    counts = Counter(j.label.label if j.label else "unlabelled" for j in rows)

    def share(items: list[Judged]) -> dict[str, Any]:
        labelled = [j for j in items if j.label is not None]
        good = sum(1 for j in labelled if j.label.label == "true")
        r = rate(good, len(labelled))
        return {"k": r.k, "n": r.n, "value": r.value, "low": r.low, "high": r.high,
                "unlabelled": len(items) - len(labelled),
                "false": sum(1 for j in labelled if j.label.label == "false"),
                "noise": sum(1 for j in labelled if j.label.label == "noise")}

    by_rule: dict[str, list[Judged]] = defaultdict(list)
    by_set: dict[str, list[Judged]] = defaultdict(list)
    for j in rows:
        by_rule[j.finding["rule_id"]].append(j)
        by_set[j.set].append(j)
    return {
        "overall": share(rows),
        "by_set": {name: share(items) for name, items in sorted(by_set.items())},
        "by_rule": {name: share(items) for name, items in sorted(by_rule.items())},
        "counts": dict(counts),
    }


@dataclass
class FindingsRun:
    """Everything one run of the suite produced."""

    judged: list[Judged] = field(default_factory=list)
    missing_repos: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    commits: int = 0


def review_commit(repo: Path, sha: str, options: Any) -> list[dict[str, Any]]:
    """Review the squash commit ``sha`` of ``repo`` (base: its first parent); return its findings
    as dicts (``id``, ``rule_id``, ``agent``, ``severity``, ``path``, ``line``, ``message``).
    Raises whatever the review raises (the caller records it)."""
    from bot.evals.history import find_merged_prs  # noqa: PLC0415
    from bot.evals.replay import review_pr  # noqa: PLC0415

    prs = [p for p in find_merged_prs(repo, ref=sha) if p.sha == sha]
    if not prs:
        raise ScenarioError(f"{sha} is not a merged pull request on the first-parent line of {repo}")
    record = review_pr(repo, prs[0], options, full_findings=True)
    if record.get("action") == "error":
        raise ScenarioError(f"{sha}: {record.get('error')}")
    return record["findings"]


def run_findings(directory: Path, repos_dir: Path, *, options: Any, only_repos: Sequence[str] = (),
                 on_commit: Any = None) -> FindingsRun:
    """Re-review every labelled commit found under ``directory`` and match its findings to labels."""
    run = FindingsRun()
    for _path, data in load_label_files(directory):
        if only_repos and data.repo not in only_repos:
            continue
        clone = locate_repo(repos_dir, data.repo)
        if clone is None:
            run.missing_repos.append(data.repo)
            continue
        by_commit: dict[str, list[FindingLabel]] = defaultdict(list)
        for label in data.labels:
            by_commit[label.commit].append(label)
        for sha in data.commits:
            run.commits += 1
            try:
                findings = review_commit(clone, sha, options)
            except Exception as exc:  # noqa: BLE001 - one commit that cannot be reviewed is reported
                run.errors.append(f"{data.repo}@{sha[:10]}: {exc}"[:300])
                continue
            for f, label in zip(findings, match_labels(findings, by_commit[sha]), strict=True):
                run.judged.append(Judged(repo=data.repo, set=data.set, commit=sha, finding=f, label=label))
            if on_commit is not None:
                on_commit(data.repo, sha)
    return run


def run(config: Any) -> Any:
    """The ``findings`` suite for :mod:`bot.evals.suites` (``config.extra["repos_dir"]`` names where
    the clones are; default ``~/.cache/quorum/eval-repos``)."""
    from bot.evals.suites import SuiteReport  # noqa: PLC0415
    from bot.pipeline import PipelineOptions  # noqa: PLC0415

    start = time.perf_counter()
    directory = config.suite_dir / "findings"
    if not directory.is_dir():
        raise ScenarioError(f"no findings labels at {directory}")
    repos_dir = Path(config.extra.get("repos_dir") or Path.home() / ".cache" / "quorum" / "eval-repos").expanduser()
    options = PipelineOptions(policy_text=config.policy_text, reasoner=config.reasoner)
    result = run_findings(directory, repos_dir, options=options, only_repos=tuple(config.extra.get("repos") or ()))
    table = precision_table(result.judged)
    unlabelled = [
        {"repo": j.repo, "commit": j.commit, **{k: j.finding.get(k) for k in ("id", "rule_id", "severity", "path", "line", "message")}}
        for j in result.judged if j.label is None and _posted(j.finding)
    ]
    notes = [f"no local clone of {slug} under {repos_dir}: skipped" for slug in result.missing_repos]
    notes += [f"could not review {e}" for e in result.errors]
    if unlabelled:
        notes.append(f"{len(unlabelled)} posted finding(s) are not labelled yet: listed in figures.unlabelled, not counted")
    figures = {
        "commits": result.commits,
        "findings": len(result.judged),
        "posted": sum(1 for j in result.judged if _posted(j.finding)),
        "precision": table,
        "precision_all_severities": precision_table(result.judged, posted_only=False)["overall"],
        "unlabelled": unlabelled,
        "repos_dir": str(repos_dir),
    }
    return SuiteReport(suite="findings", model=config.model or "offline", suite_dir=str(config.suite_dir),
                       elapsed_s=round(time.perf_counter() - start, 2), figures=figures, notes=notes)


__all__ = [
    "FindingLabel", "FindingsRun", "Judged", "LINE_SLACK", "RepoLabels", "load_label_files",
    "locate_repo", "match_labels", "precision_table", "review_commit", "run", "run_findings",
]
