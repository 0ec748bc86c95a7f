"""The worker side of the App: what each job does on GitHub. Runs in worker threads, never on the
event loop.

- ``review``: through :func:`bot.pipeline.run_review`: snapshot the PR's *current* head; dismiss the
  bot's approvals of older heads; load the base-branch policy; skip when a decision for (repo, PR,
  head, policy version) exists; fetch the base branch and the PR head into the repository's local
  mirror (:mod:`bot.adapters.mirror`; nothing when it already holds the base commit), whose history feeds the risk gate (any mirror failure: no
  history, and the gate fails closed); run the agents and the policy; publish (check run, inline comments,
  APPROVE only when every approval guard holds); append the decision record with what was posted.
- ``withdraw``: dismiss the bot's approval (PR converted to draft).
- ``command``: ``/quorum ...`` from a user with write access.
- ``review_dismissed``: record that a human dismissed the bot's review.
- ``merged``: record the merge evidence (who merged, merged head vs approved head, reviews,
  required checks) in the decision log (``bot.audit.merges``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from bot.adapters.github import (
    BlobCache,
    GitHubApp,
    GitHubPullRequestSource,
    GitHubSink,
    Handoff,
    RepoClient,
    dismiss_bot_approvals,
    finding_text,
    github_approval_guards,
    post_comment,
    request_reviewers,
)
from bot.adapters.github.sink import CHECK_NAME, redact
from bot.adapters.mirror import MirrorStore
from bot.audit import DecisionStore, event_record
from bot.core.commands import WRITE_ROLES, Command, CommandName, help_text, parse_command
from bot.core.errors import PolicyError
from bot.core.models import Finding, ReviewResult
from bot.core.protocols import Snapshot
from bot.core.webhook import Task
from bot.app.history import review_history
from bot.history.cache import HistoryCache
from bot.jobs import Job, JobStore
from bot.jobs.postings import JobPostingGuard, PostingLedger
from bot.pipeline import PipelineOptions, ReviewHooks, ReviewOutcome, run_review
from bot.policy.loader import reviewers_policy
from bot.render.markdown import escape

log = structlog.get_logger("quorum.app")


@dataclass
class ServiceOptions:
    """Knobs for the service: pipeline options factory, the bot login (None: ask GitHub), caches,
    ``mirrors`` (where reviews read history; None: reviews have none and the risk gate fails
    closed) and ``history_cache`` (the SQLite file of history facts; None: in memory)."""

    pipeline_options: Callable[[], PipelineOptions] = PipelineOptions
    bot_login: str | None = None
    blob_cache_bytes: int = 256 * 1024 * 1024
    index_cache_dir: Path | None = None
    mirrors: MirrorStore | None = None
    history_cache: Path | None = None


class QuorumService:
    """Job handler (``handle(job) -> note``) wired to GitHub, the job store and the decision log."""

    def __init__(self, github: GitHubApp, jobs: JobStore, decisions: DecisionStore,
                 options: ServiceOptions | None = None) -> None:
        self.github = github
        self.jobs = jobs
        self.decisions = decisions
        self.options = options or ServiceOptions()
        self.cache = BlobCache(self.options.blob_cache_bytes)
        self.postings = PostingLedger(jobs)
        self._login_lock = threading.Lock()
        self._bot_login = self.options.bot_login
        self._catalog: Any = None
        self.history_cache = HistoryCache(self.options.history_cache)

    # ------------------------------------------------------------------ helpers

    def bot_login(self) -> str:
        """The App's bot login (settings, else ``GET /app``), cached."""
        with self._login_lock:
            if self._bot_login is None:
                self._bot_login = self.github.bot_login()
            return self._bot_login

    @property
    def known_bot_login(self) -> str | None:
        """The bot login if already known (no network): used by the webhook receiver."""
        return self._bot_login

    def _client(self, job: Job) -> RepoClient:
        if job.installation_id is None or job.repo is None:
            raise ValueError(f"job {job.id} has no installation or repository")
        return self.github.repo(int(job.installation_id), job.repo)

    def guard(self, job: Job) -> JobPostingGuard:
        """The at-most-once posting guard of this run of ``job`` (see ``bot.jobs.postings``)."""
        return JobPostingGuard(self.postings, f"job:{job.id}/{job.attempts}")

    def _log(self, record: dict[str, Any]) -> str:
        return self.decisions.append(record)

    def handle(self, job: Job) -> str:
        """Run one job; returns a short note. Raises for the worker pool to classify."""
        handler = {
            "review": self.review,
            "withdraw": self.withdraw,
            "command": self.command,
            "review_dismissed": self.review_dismissed,
            "merged": self.merged,
        }.get(job.kind)
        if handler is None:
            return f"nothing to do for a {job.kind} job"
        client = self._client(job)
        try:
            return handler(job, client)
        finally:
            client.close()

    # ------------------------------------------------------------------ review

    def review(self, job: Job, client: RepoClient) -> str:
        """Review the PR's current head through :func:`bot.pipeline.run_review` (see module docstring)."""
        repo, number = client.full_name, int(job.pr_number or 0)
        bot = self.bot_login()
        human, _ = self.jobs.human_required(repo, number)
        source = GitHubPullRequestSource(client, number, cache=self.cache, human_review_requested=human)
        bound = log.bind(repo=repo, pr=number, job_id=job.id, delivery_id=job.delivery_id)
        sinks: list[GitHubSink] = []
        options = self.options.pipeline_options()
        guard = self.guard(job)
        held = contextlib.ExitStack()  # the mirror lease, held until the review is over
        history_note: dict[str, Any] = {}

        def before_policy(snapshot: Snapshot) -> str | None:
            nonlocal bound
            head = snapshot.pr.head_sha
            bound = bound.bind(head_sha=head)
            if source.state != "open":
                bound.info("review.skipped", reason=f"pull request is {source.state}")
                return f"skipped: pull request is {source.state}"
            if job.head_sha and job.head_sha != head:
                bound.info("review.newer_head", event_head=job.head_sha, reviewing=head)
            for d in dismiss_bot_approvals(client, number, bot, f"New commits: Quorum re-reviews head {head[:12]}.",
                                           keep_commit=head, guard=guard):
                self._log(event_record("approval_withdrawn", repo=repo, pr_number=number, head_sha=head,
                                       delivery_id=job.delivery_id, actor=None,
                                       details={"review_id": d.id, "reason": "new head pushed"}))
            if snapshot.pr.is_draft:
                bound.info("review.skipped", reason="draft")
                if job.data.get("action") == "command":
                    post_comment(client, number, "This pull request is a draft: Quorum reviews it once it is marked ready.")
                return "skipped: draft"
            sinks.append(GitHubSink(client, number, bot_login=bot, diff=snapshot.diff, guard=guard))
            return None

        def on_policy_error(snapshot: Snapshot, err: PolicyError) -> str:
            head = snapshot.pr.head_sha
            bound.error("review.policy_invalid", error=str(err), action="posting a failing check run; no review")
            run = self._policy_error_check(client, head, str(err))
            self._log(event_record("posted", repo=repo, pr_number=number, head_sha=head, delivery_id=job.delivery_id,
                                   details={"kind": "check_run", "id": str(run.get("id")), "conclusion": "failure",
                                            "reason": "invalid .quorum.yml on the base branch", "error": redact(str(err))}))
            return f"policy invalid: {err}"

        def before_review(snapshot: Snapshot, policy: Any) -> str | None:
            if sinks:  # every needs_human decision requests reviewers (CODEOWNERS, else the policy's fallback)
                sinks[0].handoff = Handoff.of(snapshot, policy.reviewers)
            existing = self.decisions.find_decision(repo, number, snapshot.pr.head_sha, policy.version)
            if existing is None:
                options.muted_rules = frozenset(self._feedback_mutes(repo, number, snapshot.pr.head_sha, policy,
                                                                     job.delivery_id))
                if policy.risk_model.enabled and options.history is None:
                    options.history = review_history(
                        self.options.mirrors, snapshot, held, history_note, bound, cache=self.history_cache,
                        installation_id=int(job.installation_id or 0), token=self.github.tokens.get)
                return None
            bound.info("review.already_decided", decision_id=existing.get("decision_id"),
                       action_taken=existing.get("action"), policy_version=policy.version)
            if job.data.get("action") == "command":
                post_comment(client, number, f"Head `{snapshot.pr.head_sha[:12]}` was already reviewed under policy "
                                             f"`{policy.version[:19]}`: decision `{existing.get('decision_id')}` "
                                             f"({existing.get('action')}). Quorum decides once per head and policy.")
            return f"already decided: {existing.get('decision_id')}"

        def no_human_requested(result: ReviewResult) -> str | None:
            asked, reason = self.jobs.human_required(repo, number)
            return f"a human review was requested ({reason or 'no reason given'})" if asked else None

        def approval_intent_logged(result: ReviewResult) -> str | None:
            # An auditor must find a record behind every approval: log the intent first, and
            # do not approve when the decision log cannot be written (fail closed).
            try:
                self._log(event_record(
                    "posted", repo=repo, pr_number=number, head_sha=result.pr.head_sha, delivery_id=job.delivery_id,
                    details={"phase": "before_approve", "decision_id": result.decision.decision_id,
                             "policy_version": result.decision.policy_version, "diff_sha256": result.diff_sha256,
                             "reasons": [r.model_dump() for r in result.decision.reasons]},
                ))
            except Exception as exc:  # noqa: BLE001 - any log failure withholds the approval
                bound.error("review.log_unwritable", error=f"{type(exc).__name__}: {exc}", action="approval withheld")
                return "the decision log could not be written, so Quorum does not approve"
            return None

        def extra(outcome: ReviewOutcome) -> dict[str, Any]:
            sink = sinks[0]
            return {"approved": sink.approved, "approval_withheld": sink.withheld, "job_id": job.id,
                    "installation_id": job.installation_id, "trigger": job.data.get("action"),
                    "muted_rules": sorted(options.muted_rules),
                    **({"history": {**history_note, "assessment": outcome.result.risk if outcome.result else None}}
                       if history_note else {})}

        with held:
            outcome = run_review(
                source, options, sinks=sinks, log=self.decisions,
                guards=github_approval_guards(client, number, bot, extra=[no_human_requested, approval_intent_logged]),
                hooks=ReviewHooks(before_policy=before_policy, on_policy_error=on_policy_error,
                                  before_review=before_review),
                delivery_id=job.delivery_id, record_extra=extra,
            )
        if outcome.result is None:
            return str(outcome.skipped)
        result, sink = outcome.result, sinks[0]
        bound.info("review.done", decision_id=result.decision.decision_id, action=result.decision.action.value,
                   approved=sink.approved, withheld=sink.withheld, record_hash=outcome.record_hash,
                   posted=[p.kind for p in outcome.posted])
        return f"{result.decision.action.value}{' (approved)' if sink.approved else ''}"

    def _feedback_mutes(self, repo: str, number: int, head: str, policy: Any, delivery_id: str | None) -> set[str]:
        """Rules muted in ``repo`` by ``/quorum feedback`` votes under the policy's threshold.

        A rule that becomes muted gets a ``rule_muted`` record, one that no longer qualifies a
        ``rule_unmuted`` record, before the review that first applies the change.
        """
        from bot.audit.query import RecordFilter, iter_records  # noqa: PLC0415
        from bot.audit.report import feedback_votes, muted_rules  # noqa: PLC0415

        threshold = policy.feedback.mute_after_down_votes
        votes = list(iter_records(self.decisions, RecordFilter(repo=repo, kind="feedback")))
        events = [r for kind in ("rule_muted", "rule_unmuted")
                  for r in iter_records(self.decisions, RecordFilter(repo=repo, kind=kind))]
        state: dict[str, bool] = {}
        for record in sorted(events, key=lambda r: r["seq"]):
            state[str((record.get("details") or {}).get("rule_id"))] = record.get("kind") == "rule_muted"
        muted = muted_rules(feedback_votes(votes), repo, threshold)
        changes = [(rule, True) for rule in sorted(muted) if not state.get(rule)]
        changes += [(rule, False) for rule, on in sorted(state.items()) if on and rule not in muted]
        for rule, on in changes:
            counts = muted.get(rule) or feedback_votes(votes).get((repo, rule), {"up": 0, "down": 0})
            self._log(event_record("rule_muted" if on else "rule_unmuted", repo=repo, pr_number=number, head_sha=head,
                                   delivery_id=delivery_id, details={
                                       "rule_id": rule, "up": counts["up"], "down": counts["down"],
                                       "threshold": threshold, "policy_version": policy.version}))
            log.info("feedback.rule_muted" if on else "feedback.rule_unmuted", repo=repo, rule_id=rule, **counts)
        return set(muted)

    def _policy_error_check(self, client: RepoClient, head: str, error: str) -> dict[str, Any]:
        return client.create_check_run({
            "name": CHECK_NAME, "head_sha": head, "status": "completed", "conclusion": "failure",
            "output": {"title": "Quorum: invalid .quorum.yml on the base branch",
                       "summary": redact(f"Quorum did not review this head: {escape(error)}\n\nFix `.quorum.yml` on the "
                                         "base branch; the policy is never read from the pull request.")},
        })

    # ------------------------------------------------------------------ other jobs

    def withdraw(self, job: Job, client: RepoClient, *, reason: str | None = None, actor: str | None = None) -> str:
        """Dismiss the bot's approvals on the PR and record each dismissal."""
        repo, number = client.full_name, int(job.pr_number or 0)
        why = reason or str(job.data.get("reason") or "withdrawn")
        dismissed = dismiss_bot_approvals(client, number, self.bot_login(), f"Quorum withdraws its approval: {why}.",
                                          guard=self.guard(job))
        for d in dismissed:
            self._log(event_record("approval_withdrawn", repo=repo, pr_number=number, head_sha=job.head_sha,
                                   delivery_id=job.delivery_id, actor=actor or job.actor,
                                   details={"review_id": d.id, "reason": why}))
        return f"dismissed {len(dismissed)} approval(s)"

    def review_dismissed(self, job: Job, client: RepoClient) -> str:
        """Record that a human dismissed the bot's review."""
        self._log(event_record("review_dismissed", repo=client.full_name, pr_number=job.pr_number,
                               head_sha=job.head_sha, delivery_id=job.delivery_id, actor=job.actor,
                               details={"review_id": job.data.get("review_id"), "state": job.data.get("state")}))
        log.info("review.dismissed_by_human", repo=client.full_name, pr=job.pr_number, actor=job.actor,
                 review_id=job.data.get("review_id"))
        return "dismissal recorded"

    def merged(self, job: Job, client: RepoClient) -> str:
        """Record a merge: the PR as merged, its reviews, checks on the merged head, required checks.

        Each piece of evidence that cannot be read is named in ``evidence_errors`` (the record is
        still written: a merge must never go unrecorded because a side read failed).
        """
        from bot.adapters.github import GitHubError  # noqa: PLC0415
        from bot.audit.merges import approval_evidence, check_conclusions, merge_record, required_contexts  # noqa: PLC0415

        repo, number = client.full_name, int(job.pr_number or 0)
        errors: list[str] = []
        try:
            pull = client.pull(number)
        except GitHubError as exc:
            errors.append(f"pull request: {exc}")
            pull = {"number": number, "head": {"sha": job.head_sha}, "merged_at": job.data.get("merged_at"),
                    "merge_commit_sha": job.data.get("merge_commit_sha"), "merged_by": {"login": job.actor}}
        head = (pull.get("head") or {}).get("sha") or job.head_sha or ""
        try:
            approvals = approval_evidence(client.reviews(number), head, self.bot_login())
        except GitHubError as exc:
            errors.append(f"reviews: {exc}")
            approvals = {}
        conclusions: dict[str, str] | None = None
        try:
            status: dict[str, Any] | None = None
            try:
                status = client.combined_status(head)
            except GitHubError as exc:
                errors.append(f"commit statuses: {exc}")
            conclusions = check_conclusions(client.check_runs_for(head), status)
        except GitHubError as exc:
            errors.append(f"check runs: {exc}")
        required: list[str] | None = None
        base_ref = (pull.get("base") or {}).get("ref")
        if base_ref:
            branch = rules = None
            try:
                branch = client.branch(base_ref)
            except GitHubError as exc:
                errors.append(f"branch protection: {exc}")
            try:
                rules = client.branch_rules(base_ref)
            except GitHubError as exc:
                errors.append(f"rulesets: {exc}")
            if branch is not None or rules is not None:
                required = required_contexts(branch, rules)
        decisions = [r for r in self.decisions.list(repo=repo, kind="decision", limit=200) if r.get("pr_number") == number]
        at_head = [r for r in decisions if r.get("head_sha") == head]
        decision = (at_head or decisions or [None])[0]
        record = merge_record(pull, repo=repo, approvals=approvals, required=required, conclusions=conclusions,
                              decision=decision, delivery_id=job.delivery_id, sender=job.actor, errors=errors)
        self._log(record)
        log.info("merge.recorded", repo=repo, pr=number, head_sha=head, merged_by=record["merged_by"],
                 quorum_approved=record["quorum_approved"], human_approvers=record["human_approvers"],
                 evidence_errors=len(errors))
        return f"merge recorded ({'quorum-approved' if record['quorum_approved'] else 'not quorum-approved'})"

    def command(self, job: Job, client: RepoClient) -> str:
        """Run a ``/quorum`` command from a user with write access (others are ignored, logged)."""
        repo, number, actor = client.full_name, int(job.pr_number or 0), str(job.actor or "")
        cmd = parse_command(str(job.data.get("body", "")))
        if cmd is None:
            return "no command"
        bound = log.bind(repo=repo, pr=number, actor=actor, command=cmd.name.value, job_id=job.id)
        if actor.lower() == self.bot_login().lower() or actor.endswith("[bot]"):
            bound.info("command.ignored", reason="comment by a bot")
            return "ignored: bot"
        role = client.permission(actor)
        if role not in WRITE_ROLES and not (cmd.name is CommandName.human and self._is_author(client, number, actor)):
            bound.warning("command.refused", role=role, reason="commands need write access")
            return f"refused: {actor} has {role} access"
        bound.info("command.accepted", role=role)
        if cmd.name is CommandName.review:
            out = self.jobs.enqueue(Task(kind="review", repo=repo, pr_number=number, installation_id=job.installation_id,
                                         actor=actor, data={"action": "command", "comment_id": job.data.get("comment_id")}),
                                    delivery_id=job.delivery_id)
            return f"review queued (job {out.job_ids[0]})"
        if cmd.name is CommandName.human:
            return self._human(job, client, cmd, actor)
        if cmd.name is CommandName.explain:
            return self._explain(client, number, cmd)
        if cmd.name is CommandName.feedback:
            return self._feedback(job, client, cmd, actor)
        post_comment(client, number, help_text(cmd.error))
        return "help posted"

    @staticmethod
    def _is_author(client: RepoClient, number: int, actor: str) -> bool:
        """True when ``actor`` opened the pull request: its author may ask for a human review
        (``/quorum human`` only holds approval back and asks for reviewers; it widens nothing)."""
        login = str((client.pull(number).get("user") or {}).get("login") or "")
        return bool(login) and login.lower() == actor.lower()

    def _human(self, job: Job, client: RepoClient, cmd: Command, actor: str) -> str:
        repo, number = client.full_name, int(job.pr_number or 0)
        self.jobs.set_human_required(repo, number, actor=actor, reason=cmd.reason)
        dismissed = dismiss_bot_approvals(client, number, self.bot_login(),
                                          f"@{actor} asked for a human review: Quorum withdraws its approval.",
                                          guard=self.guard(job))
        source = GitHubPullRequestSource(client, number, cache=self.cache, human_review_requested=True)
        snapshot = source.snapshot()
        requested = request_reviewers(client, number, Handoff.of(snapshot, reviewers_policy(snapshot.policy_text), asked=True),
                                      bot_login=self.bot_login())
        self._log(event_record("human_review_requested", repo=repo, pr_number=number, head_sha=snapshot.pr.head_sha,
                               delivery_id=job.delivery_id, actor=actor, details={
                                   "reason": cmd.reason, "dismissed_reviews": [d.id for d in dismissed],
                                   "reviewers_requested": requested.id if requested else None}))
        who = (", ".join(f"`{escape(x)}`" for x in requested.id.split(",")) if requested
               else "nobody (no CODEOWNERS match and no fallback reviewers in the policy)")
        post_comment(client, number, f"Understood: no auto-approval on this pull request from now on"
                                     f"{' (reason: ' + escape(cmd.reason) + ')' if cmd.reason else ''}. "
                                     f"Withdrew {len(dismissed)} approval(s); requested reviews from {who}.")
        return f"human review: {len(dismissed)} dismissed"

    def _find(self, repo: str, number: int, finding_id: str) -> Finding | None:
        for record in self.decisions.list(repo=repo, kind="decision", limit=500):
            if record.get("pr_number") != number:
                continue
            for verdict in record.get("verdicts", []):
                for f in verdict.get("findings", []):
                    if f.get("id") == finding_id:
                        return Finding.model_validate(f)
        return None

    def _rule_docs(self, rule_id: str) -> str | None:
        try:
            if self._catalog is None:
                from bot.core.catalog import load_catalog  # noqa: PLC0415 - compiles queries; load once

                self._catalog = load_catalog()
            rule = self._catalog.get(rule_id)
        except (ImportError, ValueError) as exc:
            log.warning("explain.catalog_unavailable", error=str(exc))
            return None
        if rule is None:
            return None
        d = rule.docs
        return (f"### {rule.id}: {rule.name}\n\n**What it does.** {d.what}\n\n**Why is this bad?** {d.why}\n\n"
                f"**Example**\n\n{d.example}\n\n**Use instead.** {d.use_instead}")

    def _explain(self, client: RepoClient, number: int, cmd: Command) -> str:
        finding = self._find(client.full_name, number, str(cmd.finding_id))
        if finding is None:
            post_comment(client, number, f"No finding `{escape(str(cmd.finding_id))}` in Quorum's reviews of this pull request.")
            return "explain: unknown finding"
        parts = [f"**Finding {finding.id}** ({finding.agent})", finding_text(finding)]
        if finding.path:
            parts.append(f"Location: `{escape(finding.path)}:{finding.line or ''}`")
        docs = self._rule_docs(finding.rule_id)
        parts.append(docs if docs else f"Rule `{escape(finding.rule_id)}` has no catalog documentation.")
        post_comment(client, number, "\n\n".join(parts))
        return f"explained {finding.id}"

    def _feedback(self, job: Job, client: RepoClient, cmd: Command, actor: str) -> str:
        repo, number = client.full_name, int(job.pr_number or 0)
        finding = self._find(repo, number, str(cmd.finding_id))
        if finding is None:
            post_comment(client, number, f"No finding `{escape(str(cmd.finding_id))}` in Quorum's reviews of this pull request.")
            return "feedback: unknown finding"
        self.jobs.add_feedback(repo, number, finding_id=finding.id, rule_id=finding.rule_id, agent=finding.agent,
                               vote=str(cmd.vote), actor=actor)
        self._log(event_record("feedback", repo=repo, pr_number=number, delivery_id=job.delivery_id, actor=actor,
                               details={"finding_id": finding.id, "rule_id": finding.rule_id, "vote": cmd.vote}))
        from bot.audit.query import RecordFilter, iter_records  # noqa: PLC0415
        from bot.audit.report import feedback_votes  # noqa: PLC0415

        votes = feedback_votes(iter_records(self.decisions, RecordFilter(repo=repo, kind="feedback")))
        counts = votes.get((repo, finding.rule_id), {"up": 0, "down": 0})
        post_comment(client, number, f"Thanks: recorded {cmd.vote} for `{finding.id}` (rule `{escape(finding.rule_id)}` "
                                     f"in this repository: {counts['up']} up, {counts['down']} down so far).")
        return f"feedback {cmd.vote} on {finding.rule_id}"
