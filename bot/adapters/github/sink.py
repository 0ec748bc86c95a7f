"""GitHubSink: publish a review as a ``quorum`` check run, inline review comments and, only when
every guard holds, an APPROVE review bound to the evaluated head SHA. Plus the other writes the
App makes: dismissing the bot's approvals, requesting CODEOWNERS reviewers, comment replies.

Everything posted is passed through ``bot.core.sanitize.redact_secrets`` first and PR-derived text
is Markdown-escaped. Sources: GitHub docs, "Create a check run" (at most 50 annotations per
request, more through updates; ``output.summary`` at most 65535 characters), "Create a review for
a pull request" (``commit_id``, ``event``, ``comments`` with ``path``/``line``/``side``),
"Dismiss a review for a pull request", "Request reviewers for a pull request".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from bot.adapters.github.client import RepoClient
from bot.adapters.github.codeowners import owners_for, parse_codeowners
from bot.adapters.github.errors import GitHubError, GitHubRequestError
from bot.adapters.github.guards import same_login
from bot.core.diff import Diff, LineKind
from bot.core.guards import NO_GATE_REASON, ApprovalGate
from bot.core.models import Action, Finding, ReviewResult, Severity
from bot.core.protocols import PostedArtifact, PostingGuard
from bot.core.registry import Registry, default_registry, is_posted
from bot.core.sanitize import redact_secrets
from bot.render.markdown import escape, to_markdown

log = structlog.get_logger("quorum.github")

CHECK_NAME = "quorum"
MAX_ANNOTATIONS_PER_REQUEST = 50
"""GitHub accepts at most 50 annotations per check-run request."""
MAX_ANNOTATIONS = 500
MAX_SUMMARY_CHARS = 65_535
MAX_COMMENT_CHARS = 65_000
MAX_INLINE_COMMENTS = 30

_CONCLUSION = {
    Action.approve: "success",
    Action.comment: "neutral",
    Action.needs_human: "neutral",
    Action.request_changes: "failure",
}
_LEVEL = {Severity.info: "notice", Severity.minor: "warning", Severity.major: "failure", Severity.critical: "failure"}


def redact(text: str) -> str:
    """``text`` with secrets replaced (``bot.core.sanitize.redact_secrets``)."""
    return redact_secrets(text)[0]


def _redact_finding(f: Finding) -> Finding:
    return f.model_copy(update={
        "message": redact(f.message),
        "evidence": [redact(e) for e in f.evidence],
        "suggestion": redact(f.suggestion) if f.suggestion else f.suggestion,
    })


def redact_result(result: ReviewResult) -> ReviewResult:
    """A copy of ``result`` whose finding texts, reasons and PR text have secrets redacted."""
    verdicts = [v.model_copy(update={"findings": [_redact_finding(f) for f in v.findings],
                                     "notes": [redact(n) for n in v.notes]}) for v in result.verdicts]
    reasons = [r.model_copy(update={"message": redact(r.message)}) for r in result.decision.reasons]
    pr = result.pr.model_copy(update={"title": redact(result.pr.title), "body": redact(result.pr.body)})
    return result.model_copy(update={"verdicts": verdicts, "pr": pr,
                                     "decision": result.decision.model_copy(update={"reasons": reasons})})


def commentable_lines(diff: Diff) -> dict[str, set[int]]:
    """Per head path, the line numbers a review comment may target: added and context lines."""
    out: dict[str, set[int]] = {}
    for f in diff.files:
        out[f.path] = {ln.new_lineno for h in f.hunks for ln in h.lines
                       if ln.kind in (LineKind.added, LineKind.context) and ln.new_lineno is not None}
    return out


def finding_text(f: Finding, *, evidence: bool = True) -> str:
    """Markdown for one (redacted) finding: severity, rule, id and message, then evidence and suggestion."""
    text = f"**{f.severity.value}** `{escape(f.rule_id)}` ({f.id}): {escape(f.message)}"
    extra = [f"- {escape(e)}" for e in f.evidence[:10]] if evidence else []
    if f.suggestion:
        extra.append(f"Suggestion: {escape(f.suggestion)}")
    return text + ("\n\n" + "\n".join(extra) if extra else "")


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 40] + "\n\n… (truncated)\n"


class GitHubSink:
    """ReviewSink for one pull request (see module docstring and ``publish``).

    ``diff`` is the snapshot's diff: inline comments go only to its added and context lines.
    Approval-time checks are not made here: they are the guards of the ``gate`` given to
    ``publish`` (see :func:`bot.adapters.github.guards.github_approval_guards`), asked right before
    approving. ``handoff``: when set, every ``needs_human`` decision also requests reviewers
    (CODEOWNERS of the changed paths, else the policy's fallback; see :func:`handoff_reviewers`).
    After ``publish``: ``approved`` says whether an APPROVE review was posted (or kept),
    ``withheld`` why not when the decision was approve. ``guard`` (a ``PostingGuard``) makes the
    APPROVE review and the check-run creation at most once per head across workers and crashes:
    only the run whose claim succeeds posts (``bot.jobs.postings``).
    """

    def __init__(self, client: RepoClient, number: int, *, bot_login: str, diff: Diff | None = None,
                 max_inline_comments: int = MAX_INLINE_COMMENTS, guard: PostingGuard | None = None,
                 handoff: Handoff | None = None) -> None:
        self.guard = guard
        self.client = client
        self.diff = diff or Diff()
        self.number = number
        self.bot_login = bot_login
        self.max_inline_comments = max_inline_comments
        self.handoff = handoff
        self.approved = False
        self.withheld: str | None = None
        self.registry = default_registry()

    # -------------------------------------------------------------- publish

    def publish(self, result: ReviewResult, gate: ApprovalGate | None = None) -> list[PostedArtifact]:
        """Post the check run, then the review (APPROVE or COMMENT); return what was posted.

        APPROVE only when the decision is approve and ``gate.check`` gives no reason right before
        posting; with no gate, never (fail closed). Idempotent per head SHA, so a job retried after
        a crash between posting and logging does not post twice: Quorum's check run on the head is
        updated rather than duplicated, an existing approval of the head is kept rather than
        repeated (or dismissed when the decision is no longer approve), and a comment review
        carrying the same decision id is not repeated. Raises GitHubError when GitHub refuses or
        stays unavailable; nothing approves then.
        """
        safe = redact_result(result)
        head = safe.pr.head_sha
        check = self._check_run(safe)
        posted = [check] if check is not None else []
        if safe.decision.action is Action.needs_human and self.handoff is not None:
            requested = request_reviewers(self.client, self.number, self.handoff, bot_login=self.bot_login)
            if requested is not None:
                posted.append(requested)
        ours = [r for r in self.client.reviews(self.number)
                if same_login((r.get("user") or {}).get("login"), self.bot_login) and r.get("commit_id") == head]
        prior_approval = next((r for r in ours if r.get("state") == "APPROVED"), None)
        findings = [f for v in safe.verdicts for f in v.findings]
        comments = self._inline_comments(findings, commentable_lines(self.diff))
        event = "COMMENT"
        if safe.decision.action is Action.approve:
            self.withheld = NO_GATE_REASON if gate is None else gate.check(result)
            if self.withheld is None and prior_approval is None and self.guard is not None \
                    and not self.guard.claim("approve", self._approve_key(head)):
                self.withheld = "another run already claimed the approval of this head (posting record): not approving twice"
            if self.withheld is None:
                event = "APPROVE"
            else:
                log.warning("github.approval_withheld", repo=self.client.full_name, pr=self.number,
                            head_sha=head, reason=self.withheld)
        if prior_approval is not None and event != "APPROVE":
            posted += dismiss_bot_approvals(self.client, self.number, self.bot_login,
                                            f"Quorum withdraws its approval of {head[:12]}: "
                                            f"{self.withheld or 'the decision is now ' + safe.decision.action.value}.")
        if event == "APPROVE" and prior_approval is not None:
            self.approved = True
            log.info("github.approval_exists", repo=self.client.full_name, pr=self.number, head_sha=head,
                     review_id=prior_approval.get("id"), action="kept; not approving twice")
            posted.append(PostedArtifact(kind="review", id=str(prior_approval.get("id")),
                                         url=prior_approval.get("html_url")))
            return posted
        if event == "COMMENT":
            marker = f"decision `{safe.decision.decision_id}`"
            if not comments or any(marker in str(r.get("body", "")) for r in ours if r.get("state") == "COMMENTED"):
                return posted
        try:
            review = self._post_review(safe, event, comments)
        except GitHubError as err:
            if event == "APPROVE" and self.guard is not None:
                self.guard.release("approve", self._approve_key(head))
            if not (event == "APPROVE" and isinstance(err, GitHubRequestError) and _approval_not_permitted(err)):
                raise
            # GitHub Actions' GITHUB_TOKEN may not approve unless the repository allows it
            # (Settings > Actions > General: "Allow GitHub Actions to create and approve pull requests").
            self.withheld = APPROVAL_NOT_PERMITTED
            log.warning("github.approval_not_permitted", repo=self.client.full_name, pr=self.number, head_sha=head,
                        error=str(err), action="posting a comment review instead")
            event = "COMMENT"
            review = self._post_review(safe, event, comments, note=APPROVAL_NOT_PERMITTED)
        self.approved = event == "APPROVE"
        if self.approved and self.guard is not None:
            self.guard.done("approve", self._approve_key(head), str(review.get("id")))
        if self.approved:
            log.info("github.approved", repo=self.client.full_name, pr=self.number, head_sha=head,
                     review_id=review.get("id"), decision_id=safe.decision.decision_id)
        posted.append(PostedArtifact(kind="review", id=str(review.get("id")), url=review.get("html_url")))
        return posted

    def _approve_key(self, head: str) -> str:
        return f"{self.client.full_name}#{self.number}@{head}"

    def _check_run(self, result: ReviewResult) -> PostedArtifact | None:
        d = result.decision
        title = f"Quorum: {d.action.value.replace('_', ' ')} (risk {d.risk:.2f})"
        summary = _cap(to_markdown(result), MAX_SUMMARY_CHARS)
        annotations = [a for v in result.verdicts for f in v.findings if (a := _annotation(f, self.registry))][:MAX_ANNOTATIONS]
        body: dict[str, Any] = {
            "name": CHECK_NAME, "head_sha": result.pr.head_sha, "status": "completed",
            "conclusion": _CONCLUSION[d.action], "external_id": d.decision_id,
            "output": {"title": title, "summary": summary, "annotations": annotations[:MAX_ANNOTATIONS_PER_REQUEST]},
        }
        slug = self.bot_login.removesuffix("[bot]")
        existing = next((r for r in self.client.check_runs_for(result.pr.head_sha)
                         if r.get("name") == CHECK_NAME and (r.get("app") or {}).get("slug", slug) == slug), None)
        key = f"{self.client.full_name}@{result.pr.head_sha}"
        if existing is None and self.guard is not None and not self.guard.claim("check_run", key):
            log.info("github.check_run_claimed_elsewhere", repo=self.client.full_name, pr=self.number,
                     head_sha=result.pr.head_sha, action="not creating a second check run")
            return None
        if existing is None:
            run = self.client.create_check_run(body)
            if self.guard is not None:
                self.guard.done("check_run", key, str(run.get("id")))
        else:  # a retried job, or a new policy version on the same head: update, do not duplicate
            run = self.client.update_check_run(int(existing["id"]), {k: v for k, v in body.items() if k != "head_sha"})
        for start in range(MAX_ANNOTATIONS_PER_REQUEST, len(annotations), MAX_ANNOTATIONS_PER_REQUEST):
            batch = annotations[start:start + MAX_ANNOTATIONS_PER_REQUEST]
            self.client.update_check_run(run["id"], {"output": {"title": title, "summary": summary, "annotations": batch}})
        log.info("github.check_run", repo=self.client.full_name, pr=self.number, check_run_id=run.get("id"),
                 conclusion=body["conclusion"], annotations=len(annotations))
        return PostedArtifact(kind="check_run", id=str(run["id"]), url=run.get("html_url"))

    def _inline_comments(self, findings: list[Finding], lines: dict[str, set[int]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, int, str]] = set()
        for f in findings:
            if not is_posted(f.rule_id, f.severity, self.registry):  # notes and quiet rules: summary only
                continue
            if f.path is None or f.line is None or f.line not in lines.get(f.path, set()):
                continue
            key = (f.path, f.line, f.id)
            if key in seen:
                continue
            seen.add(key)
            out.append({"path": f.path, "line": f.line, "side": "RIGHT", "body": _cap(finding_text(f), MAX_COMMENT_CHARS)})
            if len(out) >= self.max_inline_comments:
                break
        return out

    def _post_review(self, result: ReviewResult, event: str, comments: list[dict[str, Any]],
                     note: str | None = None) -> dict[str, Any]:
        d = result.decision
        if event == "APPROVE":
            body = (f"Quorum approves head `{result.pr.head_sha[:12]}`: risk {d.risk:.2f}, policy "
                    f"`{d.policy_version[:19]}`, decision `{d.decision_id}`. See the `quorum` check for details.")
        else:
            body = (f"Quorum: {len(comments)} finding(s) on changed lines (decision `{d.decision_id}`). "
                    "See the `quorum` check for the full review.")
        if note:
            body = f"{body}\n\nThe policy would approve head `{result.pr.head_sha[:12]}`, but {note}."
        payload = {"commit_id": result.pr.head_sha, "event": event, "body": body, "comments": comments}
        try:
            return self.client.create_review(self.number, payload)
        except GitHubRequestError as err:
            if err.status != 422 or not comments:
                raise
            log.warning("github.inline_comments_refused", repo=self.client.full_name, pr=self.number, error=str(err),
                        action="posting the review without inline comments")
            listed = "\n".join(f"- `{escape(c['path'])}:{c['line']}` {c['body']}" for c in comments)
            payload = {**payload, "comments": [], "body": _cap(body + "\n\n" + listed, MAX_COMMENT_CHARS)}
            return self.client.create_review(self.number, payload)


APPROVAL_NOT_PERMITTED = (
    "GitHub Actions is not permitted to approve pull requests in this repository (enable \"Allow GitHub "
    "Actions to create and approve pull requests\" under Settings > Actions > General)"
)
"""Why an approval was withheld when GitHub refuses the Actions token's APPROVE review."""


def _approval_not_permitted(err: GitHubRequestError) -> bool:
    """GitHub's 422 for an APPROVE review by ``github-actions[bot]`` when the repository (or its
    organization) does not let Actions approve: "GitHub Actions is not permitted to approve pull
    requests." (message text as GitHub returns it)."""
    return err.status == 422 and "not permitted to approve" in str(err).lower()


def _annotation(f: Finding, registry: Registry) -> dict[str, Any] | None:
    """A check-run annotation for ``f``; None for findings that are not posted (info notes and quiet
    rules, see :func:`bot.core.registry.is_posted`: GitHub shows annotations inline in the diff) and
    for findings without a file line."""
    if not is_posted(f.rule_id, f.severity, registry) or not f.path or not f.line:
        return None
    end = f.end_line if f.end_line and f.end_line >= f.line else f.line
    return {"path": f.path, "start_line": f.line, "end_line": end, "annotation_level": _LEVEL[f.severity],
            "title": f"{f.rule_id} ({f.id})"[:255], "message": _cap(f.message, 60_000)}


# ------------------------------------------------------------------ other writes


def dismiss_bot_approvals(client: RepoClient, number: int, bot_login: str, message: str, *,
                          keep_commit: str | None = None, guard: PostingGuard | None = None) -> list[PostedArtifact]:
    """Dismiss every APPROVED review by ``bot_login`` on the PR (except one on ``keep_commit``).

    Returns one ``dismissal`` artifact per dismissed review. A 422 (already dismissed, or GitHub
    dismissed it itself) is logged and skipped; other errors raise GitHubError. With ``guard``,
    a review whose dismissal another run already completed is skipped (claim ``dismissal`` on
    ``repo#review_id``); GitHub itself refuses a second dismissal of the same review (422).
    """
    out: list[PostedArtifact] = []
    for review in client.reviews(number):
        user = (review.get("user") or {}).get("login")
        if not same_login(user, bot_login) or review.get("state") != "APPROVED":
            continue
        if keep_commit is not None and review.get("commit_id") == keep_commit:
            continue
        key = f"{client.full_name}#{review['id']}"
        if guard is not None and not guard.claim("dismissal", key):
            continue
        try:
            client.dismiss_review(number, int(review["id"]), redact(message)[:1000])
            if guard is not None:
                guard.done("dismissal", key, str(review["id"]))
        except GitHubRequestError as err:
            log.warning("github.dismiss_failed", repo=client.full_name, pr=number, review_id=review["id"], error=str(err))
            continue
        log.info("github.approval_dismissed", repo=client.full_name, pr=number, review_id=review["id"],
                 commit_id=review.get("commit_id"), reason=message)
        out.append(PostedArtifact(kind="dismissal", id=str(review["id"]), url=review.get("html_url")))
    return out


@dataclass(frozen=True)
class Handoff:
    """What the sink needs to request reviewers when it hands a pull request to a human.

    ``codeowners_text``: the CODEOWNERS file of the target branch (None: there is none);
    ``paths``: the changed paths (head and old paths of renames); ``author``: the PR's author;
    ``fallback_users`` / ``fallback_teams``: requested when no CODEOWNERS rule owns any path
    (the policy's ``reviewers`` section).
    """

    codeowners_text: str | None
    paths: tuple[str, ...]
    author: str | None
    fallback_users: tuple[str, ...] = ()
    fallback_teams: tuple[str, ...] = ()

    @classmethod
    def of(cls, snapshot: Any, reviewers: Any | None, *, asked: bool = False) -> Handoff | None:
        """The hand-off for a snapshot (``bot.core.protocols.Snapshot``) under a policy's
        ``reviewers`` section (``bot.policy.schema.Reviewers``; None: CODEOWNERS only). None when
        the policy turns hand-off requests off, unless ``asked`` (an explicit ``/quorum human``)."""
        if reviewers is not None and not reviewers.request_on_handoff and not asked:
            return None
        paths = tuple(sorted({p for f in snapshot.diff.files for p in (f.path, f.old_path) if p}))
        return cls(
            codeowners_text=snapshot.codeowners_text, paths=paths, author=snapshot.pr.author,
            fallback_users=tuple(reviewers.fallback_users) if reviewers is not None else (),
            fallback_teams=tuple(reviewers.fallback_teams) if reviewers is not None else (),
        )


def handoff_reviewers(handoff: Handoff, *, bot_login: str) -> tuple[list[str], list[str], str]:
    """``(users, teams, source)`` to request for ``handoff``; pure.

    CODEOWNERS of the changed paths first (``source`` = ``"codeowners"``); when they name nobody,
    the fallback (``"fallback"``); else nobody (``"none"``). Users are deduplicated
    case-insensitively, and the PR's author, ``bot_login`` and every ``*[bot]`` account are left
    out (GitHub refuses a review request to the author with 422). Teams are slugs.
    """
    users: list[str] = []
    teams: list[str] = []
    source = "none"
    if handoff.codeowners_text:
        users, teams = owners_for(parse_codeowners(handoff.codeowners_text), list(handoff.paths))
        source = "codeowners"
    users = _eligible(users, handoff.author, bot_login)
    if not users and not teams:
        users = _eligible(list(handoff.fallback_users), handoff.author, bot_login)
        teams = list(handoff.fallback_teams)
        source = "fallback" if users or teams else "none"
    seen: set[str] = set()
    unique_teams = [t for t in teams if not (t.casefold() in seen or seen.add(t.casefold()))]
    return users, unique_teams, source


def _eligible(users: list[str], author: str | None, bot_login: str) -> list[str]:
    out: dict[str, str] = {}
    for u in users:
        if same_login(u, author) or same_login(u, bot_login) or u.lower().endswith("[bot]"):
            continue
        out.setdefault(u.casefold(), u)
    return list(out.values())


def request_reviewers(client: RepoClient, number: int, handoff: Handoff, *, bot_login: str) -> PostedArtifact | None:
    """Request the reviewers of :func:`handoff_reviewers`; None when there is nobody to ask or
    GitHub refuses (logged: a failed request must not undo the review that was posted)."""
    users, teams, source = handoff_reviewers(handoff, bot_login=bot_login)
    if not users and not teams:
        log.info("github.no_reviewers", repo=client.full_name, pr=number, reason="no CODEOWNERS match and no fallback")
        return None
    try:
        client.request_reviewers(number, users, teams)
    except GitHubError as err:
        log.warning("github.request_reviewers_failed", repo=client.full_name, pr=number, users=users, teams=teams,
                    error=str(err))
        return None
    log.info("github.reviewers_requested", repo=client.full_name, pr=number, users=users, teams=teams, source=source)
    return PostedArtifact(kind="review_request", id=",".join(users + [f"team:{t}" for t in teams]))


def request_codeowners(client: RepoClient, number: int, codeowners_text: str | None, paths: list[str], *,
                       author: str | None, bot_login: str, fallback_users: tuple[str, ...] = (),
                       fallback_teams: tuple[str, ...] = ()) -> PostedArtifact | None:
    """Request reviews from the CODEOWNERS of ``paths`` (author and bots excluded), else the
    fallback; None when nobody is to be asked. See :func:`handoff_reviewers`."""
    handoff = Handoff(codeowners_text, tuple(paths), author, tuple(fallback_users), tuple(fallback_teams))
    return request_reviewers(client, number, handoff, bot_login=bot_login)


def post_comment(client: RepoClient, number: int, text: str) -> PostedArtifact:
    """Post a conversation comment (redacted, capped). Raises GitHubError."""
    data = client.create_comment(number, _cap(redact(text), MAX_COMMENT_CHARS))
    return PostedArtifact(kind="comment", id=str(data.get("id")), url=data.get("html_url"))


__all__ = [
    "CHECK_NAME",
    "GitHubError",
    "GitHubSink",
    "commentable_lines",
    "dismiss_bot_approvals",
    "finding_text",
    "post_comment",
    "redact",
    "redact_result",
    "Handoff",
    "handoff_reviewers",
    "request_codeowners",
    "request_reviewers",
]
