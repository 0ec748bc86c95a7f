"""Fill a decision log from a real repository's history (``quorum demo seed``).

Each merged pull request that ``quorum replay`` selects (same history walk and selection:
``bot.evals.history.find_merged_prs`` and ``bot.evals.replay.select_prs``) is reviewed offline
through the one review path (``bot.pipeline.run_review``), and two records are appended in chain
order: the decision and the merge.

What git knows and what it does not: the merged head is the squash or merge commit itself (the
change replayed is ``base..sha``); who merged is that commit's committer; when, its committer
time. Reviews on GitHub and required checks are not in git, so merge records carry no human
approvals, ``required_checks: null`` and an ``evidence_errors`` line saying so. The decision is
stamped ``DECISION_LEAD`` before the merge, because a replay has no review time of its own.
Every record's ``extra`` / ``evidence_errors`` says it came from this seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.audit import DecisionStore, record_from_result
from bot.audit.merges import merge_record
from bot.evals.history import MergedPR, find_merged_prs, head_info
from bot.evals.replay import select_prs

DECISION_LEAD = timedelta(minutes=10)
SEED_NOTE = "seeded from local git history by quorum demo seed: GitHub reviews and checks are not in git"


@dataclass
class SeedReport:
    """How a seed went: PRs found and seeded, records appended, PRs that could not be reviewed."""

    repo_name: str
    prs_in_history: int
    seeded: int
    records: int
    errors: list[str]


WEB_MERGE = "unknown (merged on GitHub's web UI)"


def _committer(repo: Path, sha: str) -> str:
    """The commit's committer name; a merge made on GitHub's web UI is committed by "GitHub", which
    does not say who merged, so that reads ``WEB_MERGE``."""
    from bot.adapters.gitlocal import Git  # noqa: PLC0415

    name = Git(repo).run("show", "-s", "--format=%cn", sha).decode("utf-8", "replace").strip()
    return WEB_MERGE if name in ("", "GitHub") else name


def seed_log(repo: Path, store: DecisionStore, *, repo_name: str, limit: int = 60, sample: int | None = None,
             seed: int = 0, policy_text: str | None = None, cache_dir: Path | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> SeedReport:
    """Review up to ``limit`` merged PRs of ``repo`` (oldest first) and append decision + merge records.

    ``repo_name`` (``owner/name``) is the repository name the records carry. Raises SourceError
    for a path that is not a git repository, PolicyError for an invalid ``policy_text``,
    AuditError when the log cannot be written. A PR that cannot be reviewed is skipped and listed
    in ``errors`` (never recorded as a decision).
    """
    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.pipeline import PipelineOptions, run_review  # noqa: PLC0415

    head_sha, _ = head_info(repo)
    prs = find_merged_prs(repo, ref=head_sha)
    chosen: list[MergedPR] = sorted(select_prs(prs, limit=limit, sample=sample, seed=seed), key=lambda p: p.timestamp)
    options = PipelineOptions(policy_text=policy_text, cache_dir=cache_dir)
    errors: list[str] = []
    records = 0
    for i, pr in enumerate(chosen):
        merged_at = datetime.fromtimestamp(pr.timestamp, UTC)
        try:
            outcome = run_review(LocalGitSource(repo, base=pr.base, head=pr.sha, title=pr.title, body=pr.body,
                                                author=pr.author, number=pr.number), options)
        except Exception as exc:  # noqa: BLE001 - one PR that cannot be reviewed is reported, not recorded
            errors.append(f"#{pr.number} {pr.sha[:12]}: {type(exc).__name__}: {exc}"[:300])
            continue
        result = outcome.result
        if result is None:  # no hooks are given, so nothing skips; kept for safety
            errors.append(f"#{pr.number} {pr.sha[:12]}: skipped: {outcome.skipped}")
            continue
        result.pr = result.pr.model_copy(update={"repo": repo_name,
                                                 "url": f"https://github.com/{repo_name}/pull/{pr.number}"})
        decision = record_from_result(result, now=merged_at - DECISION_LEAD,
                                      extra={"source": "demo seed", "merge_kind": pr.kind})
        store.append(decision)
        approved = result.decision.action.value == "approve"
        pull: dict[str, Any] = {
            "number": pr.number, "title": pr.title, "user": {"login": pr.author},
            "html_url": f"https://github.com/{repo_name}/pull/{pr.number}", "head": {"sha": pr.sha},
            "base": {"ref": "main", "sha": pr.base}, "merge_commit_sha": pr.sha,
            "merged_by": {"login": _committer(repo, pr.sha)}, "merged_at": merged_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        approvals = {"quorum_approved": approved, "human_approvers": [], "approvals": [], "changes_requested_by": []}
        store.append(merge_record(pull, repo=repo_name, approvals=approvals, required=None, conclusions=None,
                                  decision=decision, errors=[SEED_NOTE]))
        records += 2
        if on_progress:
            on_progress(i + 1, len(chosen))
    return SeedReport(repo_name=repo_name, prs_in_history=len(prs), seeded=records // 2, records=records, errors=errors)
