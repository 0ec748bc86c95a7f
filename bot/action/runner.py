"""``quorum action``: review a pull request inside a GitHub Actions job, with ``GITHUB_TOKEN``.

The same review path and the same GitHub adapter as the App (:func:`bot.pipeline.run_review`,
:class:`bot.adapters.github.GitHubSink`): a ``quorum`` check run with annotations, inline findings,
an APPROVE review only when the policy allows and every approval guard holds (bound to the
reviewed head SHA, re-read just before approving), reviewers requested on every ``needs_human``
hand-off, and optionally a SARIF upload to code scanning. Differences from the App:

- no webhooks and no durable queue: the workflow run is the job; a newer push starts another run
  (use a ``concurrency`` group with ``cancel-in-progress`` to drop older ones);
- a fork's ``pull_request`` run has a read-only token: Quorum cannot post, so it writes the review
  to the job summary (``GITHUB_STEP_SUMMARY``) and says why (``degraded``);
- ``/quorum human`` requests are found by reading the PR's comments on each run (the App keeps
  them in its job store);
- GitHub refuses approvals by ``github-actions[bot]`` unless the repository allows them; the sink
  then posts a comment review saying so.

The PR's working tree is never read or executed: the diff, both trees, the policy and CODEOWNERS
come from the API, exactly as for the App. The history facts of the risk gate are read from the git
objects of the job's checkout (``GITHUB_WORKSPACE``; ``actions/checkout`` with ``fetch-depth: 0``):
without a checkout, or with a shallow one, the review has no history and the risk gate fails closed
(no approval) unless the policy turns it off; the job summary says why.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from bot.action.event import ActionEvent, EventKind
from bot.adapters.github import (
    GitHubError,
    GitHubPullRequestSource,
    GitHubRequestError,
    GitHubSink,
    Handoff,
    RepoClient,
    dismiss_bot_approvals,
    github_approval_guards,
    post_comment,
    request_reviewers,
)
from bot.adapters.github.guards import same_login
from bot.core.commands import WRITE_ROLES, CommandName, help_text, parse_command
from bot.core.models import ReviewResult
from bot.core.protocols import Snapshot
from bot.policy.loader import reviewers_policy
from bot.render.markdown import escape, to_markdown

log = structlog.get_logger("quorum.action")

FORK_NOTE = (
    "This pull request comes from a fork, and GitHub runs `pull_request` workflows of forks with a "
    "read-only `GITHUB_TOKEN`: Quorum could not post a check run, inline comments or a review, so "
    "its review is in this job summary only. To review fork PRs on the PR itself, run the Action on "
    "`pull_request_target` (Quorum never checks out or runs the PR's code)."
)
ACTIONS_ONLY = (
    "In GitHub Actions mode, `/quorum explain` and `/quorum feedback` need the decision log of "
    "earlier runs, which a workflow does not keep: use the App, or point `QUORUM_DATABASE_URL` at a "
    "shared database."
)


@dataclass
class ActionConfig:
    """What ``quorum action`` was asked to do (built by the entry point from the environment).

    ``sarif_path``: also write SARIF here; ``upload_sarif``: upload it to code scanning (needs
    ``security-events: write``); ``summary_path``: the job summary file (``GITHUB_STEP_SUMMARY``);
    ``output_path``: the step outputs file (``GITHUB_OUTPUT``); ``pipeline_options``: factory of
    :class:`bot.pipeline.PipelineOptions`; ``decision_log``: where decisions are appended, or None;
    ``checkout``: the job's clone (``GITHUB_WORKSPACE``), where history is read (None: no history);
    ``history_cache``: the SQLite file of history facts (None: in memory).
    """

    sarif_path: Path | None = None
    upload_sarif: bool = False
    summary_path: Path | None = None
    output_path: Path | None = None
    pipeline_options: Callable[[], Any] | None = None
    decision_log: Any | None = None
    checkout: Path | None = None
    history_cache: Path | None = None


@dataclass
class ActionReport:
    """What the run did: ``note`` (one line for the log), the review ``result`` (None when there was
    none), what was ``posted``, whether it ``degraded`` to the job summary, the SARIF upload id."""

    note: str
    result: ReviewResult | None = None
    posted: list[str] = field(default_factory=list)
    degraded: bool = False
    approved: bool = False
    withheld: str | None = None
    sarif_id: str | None = None
    warnings: list[str] = field(default_factory=list)


def human_requested(client: RepoClient, number: int, author: str, bot_login: str) -> tuple[bool, str | None]:
    """Whether someone allowed to asked for a human (``/quorum human`` by a writer or the PR's
    author, not by a bot), from the PR's comments; ``(asked, reason)``."""
    roles: dict[str, str] = {}
    for comment in client.issue_comments(number):
        user = comment.get("user") or {}
        login = str(user.get("login") or "")
        if not login or user.get("type") == "Bot" or login.lower().endswith("[bot]") or same_login(login, bot_login):
            continue
        cmd = parse_command(str(comment.get("body") or ""))
        if cmd is None or cmd.name is not CommandName.human:
            continue
        if same_login(login, author):
            return True, cmd.reason
        if login not in roles:
            roles[login] = client.permission(login)
        if roles[login] in WRITE_ROLES:
            return True, cmd.reason
    return False, None


class ActionRunner:
    """Runs one event against one repository (``client``, acting as ``bot_login``)."""

    def __init__(self, client: RepoClient, bot_login: str, config: ActionConfig) -> None:
        self.client = client
        self.bot_login = bot_login
        self.config = config

    # ------------------------------------------------------------------ entry

    def run(self, event: ActionEvent) -> ActionReport:
        """Handle ``event``. Raises GitHubError / SourceError / PolicyError when the review could not
        be made (the entry point turns them into a one-line error and exit 2)."""
        if event.kind is EventKind.ignore:
            return self._finish(ActionReport(note=f"nothing to do: {event.reason}"))
        if event.kind is EventKind.review:
            return self._finish(self.review(event))
        return self._finish(self.command(event))

    # ------------------------------------------------------------------ review

    def review(self, event: ActionEvent, *, trigger: str | None = None) -> ActionReport:
        """Review PR ``event.number`` (its current head) and publish, or degrade to the summary."""
        from bot.pipeline import PipelineOptions, ReviewHooks, run_review  # noqa: PLC0415 - heavy

        number = int(event.number or 0)
        pull = self.client.pull(number)
        author = str((pull.get("user") or {}).get("login") or "")
        asked, _ = human_requested(self.client, number, author, self.bot_login)
        source = GitHubPullRequestSource(self.client, number, human_review_requested=asked)
        read_only = event.read_only
        sinks: list[GitHubSink] = []
        report = ActionReport(note="")

        def before_policy(snapshot: Snapshot) -> str | None:
            if source.state != "open":
                return f"skipped: pull request is {source.state}"
            if snapshot.pr.is_draft:
                return "skipped: draft (Quorum reviews it once it is marked ready)"
            if not read_only:
                dismiss_bot_approvals(self.client, number, self.bot_login,
                                      f"New commits: Quorum re-reviews head {snapshot.pr.head_sha[:12]}.",
                                      keep_commit=snapshot.pr.head_sha)
                sinks.append(GitHubSink(self.client, number, bot_login=self.bot_login, diff=snapshot.diff))
            return None

        def before_review(snapshot: Snapshot, policy: Any) -> str | None:
            if sinks:
                sinks[0].handoff = Handoff.of(snapshot, policy.reviewers)
            return None

        def extra(outcome: Any) -> dict[str, Any]:
            sink = sinks[0] if sinks else None
            return {"approved": bool(sink and sink.approved), "approval_withheld": sink.withheld if sink else None,
                    "trigger": trigger or f"{event.event_name}.{event.action}", "runner": "github-actions",
                    "degraded": read_only}

        options = self.config.pipeline_options() if self.config.pipeline_options else PipelineOptions()
        if options.history is None:
            options.history = self._history(report)
        try:
            outcome = run_review(
                source, options, sinks=sinks, log=self.config.decision_log,
                guards=github_approval_guards(self.client, number, self.bot_login),
                hooks=ReviewHooks(before_policy=before_policy, before_review=before_review), record_extra=extra,
            )
        except GitHubRequestError as err:
            if err.status != 403 or read_only:
                raise
            # A token without write access (a fork's run, or a workflow without the permissions
            # block): review again without posting, into the job summary.
            log.warning("action.read_only_token", repo=self.client.full_name, pr=number, error=str(err))
            read_only = True
            sinks.clear()
            report.warnings.append(f"GitHub refused a write ({err}); results are in the job summary only")
            outcome = run_review(source, options, sinks=[], log=self.config.decision_log,
                                 hooks=ReviewHooks(before_policy=before_policy), record_extra=extra)
        if outcome.result is None:
            report.note = str(outcome.skipped)
            return report
        result = outcome.result
        report.result = result
        report.degraded = read_only
        report.posted = [p.kind for p in outcome.posted]
        if sinks:
            report.approved, report.withheld = sinks[0].approved, sinks[0].withheld
        self._sarif(result, outcome.snapshot, report, event, upload=not read_only)
        action = result.decision.action.value
        report.note = (f"{action}{' (approved)' if report.approved else ''}"
                       f"{' (fork: read-only token, results in the job summary)' if read_only else ''}")
        return report

    def _history(self, report: ActionReport) -> Any:
        """The checkout's history, or an UnavailableHistory (and a job-summary warning) saying why not."""
        from bot.history.cache import HistoryCache  # noqa: PLC0415
        from bot.history.sources import UnavailableHistory, checkout_history  # noqa: PLC0415

        if self.config.checkout is None:
            history: Any = UnavailableHistory("no checkout: run actions/checkout with fetch-depth: 0 before Quorum "
                                              "(GITHUB_WORKSPACE is not set)")
        else:
            history = checkout_history(self.config.checkout, HistoryCache(self.config.history_cache),
                                       what="the checkout (GITHUB_WORKSPACE)")
        if isinstance(history, UnavailableHistory):
            report.warnings.append(f"history unavailable: {history.reason}; the risk gate holds approval back "
                                   "(set risk_model.enabled: false in .quorum.yml to review without it)")
        return history

    def _sarif(self, result: ReviewResult, snapshot: Snapshot, report: ActionReport, event: ActionEvent, *,
               upload: bool) -> None:
        if not (self.config.sarif_path or self.config.upload_sarif):
            return
        from bot.render.sarif import to_sarif  # noqa: PLC0415

        log_ = to_sarif(result, changed_paths=[f.path for f in snapshot.diff.files])
        text = json.dumps(log_, indent=2, ensure_ascii=False)
        if self.config.sarif_path is not None:
            self.config.sarif_path.write_text(text + "\n", encoding="utf-8")
        if self.config.upload_sarif:
            if not upload:
                report.warnings.append("SARIF not uploaded: the token is read-only")
            else:
                packed = base64.b64encode(gzip.compress(text.encode("utf-8"))).decode("ascii")
                try:
                    answer = self.client.upload_sarif(result.pr.head_sha, event.ref, packed)
                    report.sarif_id = str(answer.get("id"))
                    report.posted.append("sarif")
                except GitHubError as err:  # the review stands; say why code scanning got nothing
                    report.warnings.append(f"SARIF upload failed (needs `security-events: write`): {err}")

    # ------------------------------------------------------------------ commands

    def command(self, event: ActionEvent) -> ActionReport:
        """Run a ``/quorum`` comment command from a writer (``human`` also from the PR's author)."""
        number, actor, cmd = int(event.number or 0), event.actor, event.command
        assert cmd is not None
        pull = self.client.pull(number)
        author = str((pull.get("user") or {}).get("login") or "")
        role = self.client.permission(actor)
        allowed = role in WRITE_ROLES or (cmd.name in (CommandName.human, CommandName.help) and same_login(actor, author))
        if cmd.name is CommandName.help:
            allowed = True
        if not allowed:
            log.warning("action.command_refused", repo=self.client.full_name, pr=number, actor=actor, role=role,
                        command=cmd.name.value)
            return ActionReport(note=f"refused: {actor} has {role} access")
        if cmd.name is CommandName.review:
            return self.review(event, trigger="command.review")
        if cmd.name is CommandName.human:
            return self._human(number, actor, cmd.reason)
        if cmd.name in (CommandName.explain, CommandName.feedback):
            post_comment(self.client, number, ACTIONS_ONLY)
            return ActionReport(note=f"{cmd.name.value}: not available in Actions mode", posted=["comment"])
        post_comment(self.client, number, help_text(cmd.error))
        return ActionReport(note="help posted", posted=["comment"])

    def _human(self, number: int, actor: str, reason: str | None) -> ActionReport:
        dismissed = dismiss_bot_approvals(self.client, number, self.bot_login,
                                          f"@{actor} asked for a human review: Quorum withdraws its approval.")
        snapshot = GitHubPullRequestSource(self.client, number, human_review_requested=True).snapshot()
        try:
            requested = request_reviewers(self.client, number,
                                          Handoff.of(snapshot, reviewers_policy(snapshot.policy_text), asked=True),
                                          bot_login=self.bot_login)
        finally:
            snapshot.close()
        who = (", ".join(f"`{escape(x)}`" for x in requested.id.split(",")) if requested
               else "nobody (no CODEOWNERS match and no fallback reviewers in the policy)")
        post_comment(self.client, number, f"Understood: no auto-approval on this pull request from now on"
                                          f"{' (reason: ' + escape(reason) + ')' if reason else ''}. "
                                          f"Withdrew {len(dismissed)} approval(s); requested reviews from {who}.")
        if self.config.decision_log is not None:
            from bot.audit import event_record  # noqa: PLC0415

            self.config.decision_log.append(event_record(
                "human_review_requested", repo=self.client.full_name, pr_number=number,
                head_sha=snapshot.pr.head_sha, actor=actor,
                details={"reason": reason, "dismissed_reviews": [d.id for d in dismissed],
                         "reviewers_requested": requested.id if requested else None, "runner": "github-actions"}))
        posted = ["comment", *(["review_request"] if requested else []), *(["dismissal"] * len(dismissed))]
        return ActionReport(note=f"human review: {len(dismissed)} dismissed", posted=posted)

    # ------------------------------------------------------------------ outputs

    def _finish(self, report: ActionReport) -> ActionReport:
        if self.config.summary_path is not None:
            with self.config.summary_path.open("a", encoding="utf-8") as fh:
                fh.write(summary_markdown(report))
        if self.config.output_path is not None and report.result is not None:
            d = report.result.decision
            with self.config.output_path.open("a", encoding="utf-8") as fh:
                fh.write(f"decision={d.action.value}\nrisk={d.risk:.2f}\ndecision-id={d.decision_id}\n"
                         f"approved={'true' if report.approved else 'false'}\n"
                         f"degraded={'true' if report.degraded else 'false'}\n")
        return report


def summary_markdown(report: ActionReport) -> str:
    """The job summary (``GITHUB_STEP_SUMMARY`` is Markdown): the mode note, warnings, the review."""
    parts = []
    if report.degraded:
        parts.append(f"> **Quorum ran with a read-only token.** {FORK_NOTE}")
    parts.extend(f"> Warning: {escape(w)}" for w in report.warnings)
    if report.result is not None:
        if report.withheld:
            parts.append(f"> Approval withheld: {escape(report.withheld)}")
        parts.append(to_markdown(report.result))
    else:
        parts.append(f"Quorum: {escape(report.note)}")
    return "\n\n".join(parts).rstrip() + "\n\n"


__all__ = ["ACTIONS_ONLY", "FORK_NOTE", "ActionConfig", "ActionReport", "ActionRunner", "human_requested",
           "summary_markdown"]
