"""GitHub webhook deliveries, sans I/O: signature check, payload models, and what each event asks for.

Pure (in the style of gidgethub's ``sansio``): bytes and headers in, pydantic models out. No
network, no framework, no environment.

Sources of external facts:
- Signature: GitHub docs, "Validating webhook deliveries": ``X-Hub-Signature-256`` is
  ``sha256=`` + the hex HMAC-SHA256 of the raw request body keyed with the webhook secret, to be
  compared in constant time. (``X-Hub-Signature`` carries a legacy SHA-1 HMAC: never accepted here.)
- Payload size: GitHub docs, "Webhook events and payloads": payloads are capped at 25 MB.
- Payload shapes: GitHub docs, "Webhook events and payloads" (``pull_request``, ``issue_comment``,
  ``pull_request_review``, ``installation``, ``installation_repositories``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MB (docs, "Webhook events and payloads")."""

SIGNATURE_PREFIX = "sha256="

SUPPORTED_EVENTS: frozenset[str] = frozenset(
    {"pull_request", "issue_comment", "pull_request_review", "installation", "installation_repositories", "ping"}
)
"""Events Quorum acts on; any other event is acknowledged and ignored."""

REVIEW_ACTIONS: frozenset[str] = frozenset({"opened", "reopened", "synchronize", "ready_for_review", "edited"})
"""``pull_request`` actions that (re)start a review of the current head."""


class WebhookPayloadError(ValueError):
    """The delivery's body is not the JSON object its event promises; ``str(exc)`` says what is wrong."""


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value GitHub would send: ``sha256=<64 hex digits>``."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


SIGNATURE_HEADER = re.compile(r"sha256=[0-9a-fA-F]{64}")
"""The only shape an ``X-Hub-Signature-256`` value can have (GitHub docs, "Validating webhook deliveries")."""


def signature_header_problem(header: str | None, legacy: str | None = None) -> str | None:
    """Why ``header`` (``X-Hub-Signature-256``) cannot be a valid signature, judged from the header
    alone (before any body byte is read), or None when it is well formed. ``legacy`` is the
    ``X-Hub-Signature`` (sha1) value, named in the reason when it is the only one sent."""
    if header is None:
        if legacy:
            return "only a sha1 signature (X-Hub-Signature); sha256 is required"
        return "missing X-Hub-Signature-256"
    if not SIGNATURE_HEADER.fullmatch(header.strip()):
        return "malformed X-Hub-Signature-256 (expected sha256=<64 hex digits>)"
    return None


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is a valid ``sha256=<hex>`` HMAC-SHA256 of ``body`` under ``secret``.

    False for an empty secret, a missing header, a ``sha1=`` (legacy ``X-Hub-Signature``) value,
    any other prefix, or a digest that does not match. The comparison is constant-time
    (``hmac.compare_digest``) over the whole header value.
    """
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body)
    try:
        return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii"))
    except UnicodeEncodeError:
        return False


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    """A GitHub account. ``type`` is ``User``, ``Bot`` or ``Organization``."""

    login: str
    id: int | None = None
    type: str = "User"

    @property
    def is_bot(self) -> bool:
        """True for GitHub Apps and other bot accounts (``type == "Bot"`` or a ``[bot]`` login)."""
        return self.type == "Bot" or self.login.endswith("[bot]")


class Repository(_Model):
    """``repository`` of a payload; ``full_name`` is ``owner/name``."""

    full_name: str
    id: int | None = None
    default_branch: str | None = None


class InstallationRef(_Model):
    """``installation`` of a payload (just the id in repository events)."""

    id: int


class Installation(_Model):
    """``installation`` of an ``installation`` event."""

    id: int
    account: User | None = None
    suspended_at: str | None = None


class Ref(_Model):
    """``pull_request.head`` / ``pull_request.base``."""

    ref: str
    sha: str


class PullRequest(_Model):
    """The fields of ``pull_request`` that Quorum reads."""

    number: int
    state: str = "open"
    draft: bool = False
    title: str = ""
    body: str | None = None
    user: User
    head: Ref
    base: Ref
    merged: bool | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    merged_by: User | None = None


class PullRequestEvent(_Model):
    """``pull_request`` event."""

    event: Literal["pull_request"] = "pull_request"
    action: str
    number: int
    pull_request: PullRequest
    repository: Repository
    installation: InstallationRef | None = None
    sender: User
    changes: dict[str, Any] = Field(default_factory=dict)


class IssueComment(_Model):
    """``comment`` of an ``issue_comment`` event."""

    id: int
    body: str = ""
    user: User


class Issue(_Model):
    """``issue`` of an ``issue_comment`` event; ``pull_request`` is set when the issue is a PR."""

    number: int
    state: str = "open"
    pull_request: dict[str, Any] | None = None
    user: User | None = None


class IssueCommentEvent(_Model):
    """``issue_comment`` event."""

    event: Literal["issue_comment"] = "issue_comment"
    action: str
    issue: Issue
    comment: IssueComment
    repository: Repository
    installation: InstallationRef | None = None
    sender: User


class Review(_Model):
    """``review`` of a ``pull_request_review`` event."""

    id: int
    user: User | None = None
    state: str = ""
    commit_id: str | None = None


class PullRequestReviewEvent(_Model):
    """``pull_request_review`` event."""

    event: Literal["pull_request_review"] = "pull_request_review"
    action: str
    review: Review
    pull_request: PullRequest
    repository: Repository
    installation: InstallationRef | None = None
    sender: User


class RepoLite(_Model):
    """A repository as listed in installation events."""

    full_name: str
    id: int | None = None


class InstallationEvent(_Model):
    """``installation`` event (created, deleted, suspend, unsuspend, new_permissions_accepted)."""

    event: Literal["installation"] = "installation"
    action: str
    installation: Installation
    repositories: list[RepoLite] | None = None
    sender: User | None = None


class InstallationRepositoriesEvent(_Model):
    """``installation_repositories`` event (added, removed)."""

    event: Literal["installation_repositories"] = "installation_repositories"
    action: str
    installation: Installation
    repositories_added: list[RepoLite] = Field(default_factory=list)
    repositories_removed: list[RepoLite] = Field(default_factory=list)
    sender: User | None = None


class PingEvent(_Model):
    """``ping``, sent once when the webhook is set up."""

    event: Literal["ping"] = "ping"
    zen: str | None = None
    hook_id: int | None = None


WebhookEvent = (
    PullRequestEvent
    | IssueCommentEvent
    | PullRequestReviewEvent
    | InstallationEvent
    | InstallationRepositoriesEvent
    | PingEvent
)

_MODELS: dict[str, type[BaseModel]] = {
    "pull_request": PullRequestEvent,
    "issue_comment": IssueCommentEvent,
    "pull_request_review": PullRequestReviewEvent,
    "installation": InstallationEvent,
    "installation_repositories": InstallationRepositoriesEvent,
    "ping": PingEvent,
}


def decode_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object. Raises WebhookPayloadError for every way decoding can fail: not
    UTF-8, not JSON, not an object, nesting deeper than the parser's recursion limit, or an integer
    longer than ``sys.get_int_max_str_digits()`` digits (4,300 by default; Python docs, "Integer
    string conversion length limitation"), which ``json.loads`` refuses with a plain ValueError."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WebhookPayloadError(f"body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise WebhookPayloadError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise WebhookPayloadError("malformed JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer over the int max str digits limit
        first = (str(exc).splitlines() or ["invalid value"])[0]
        raise WebhookPayloadError(f"malformed JSON: {first[:200]}") from exc
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"payload is a JSON {type(data).__name__}, not an object")
    return data


def parse_event(event: str | None, body: bytes) -> WebhookEvent | None:
    """Parse a (verified) delivery body for the ``X-GitHub-Event`` name ``event``.

    Returns None for events Quorum does not handle (see ``SUPPORTED_EVENTS``); their body is still
    checked to be a JSON object. Raises WebhookPayloadError naming the first bad field, e.g.
    ``pull_request payload: pull_request.head.sha: Field required``.
    """
    data = decode_json(body)
    model = _MODELS.get(event or "")
    if model is None:
        return None
    try:
        return model.model_validate({**data, "event": event})  # type: ignore[return-value]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise WebhookPayloadError(f"{event} payload: {where}: {first['msg']}") from exc


def installation_id(event: WebhookEvent) -> int | None:
    """The installation a delivery belongs to, or None (``ping``, or a payload without one)."""
    inst = getattr(event, "installation", None)
    return inst.id if inst is not None else None


def repo_name(event: WebhookEvent) -> str | None:
    """``owner/name`` of the repository the delivery is about, or None."""
    repo = getattr(event, "repository", None)
    return repo.full_name if repo is not None else None


class Task(BaseModel):
    """One unit of work a delivery asks for; the job queue persists it as JSON.

    ``kind``:
    - ``review``: review the PR's current head (``head_sha`` is the head the event saw).
    - ``withdraw``: dismiss the bot's approval (draft conversion); ``data["reason"]``.
    - ``command``: a ``/quorum`` comment; ``data`` has ``comment_id`` and ``body``; ``actor`` wrote it.
    - ``review_dismissed``: a human dismissed the bot's review; recorded in the decision log.
    - ``close``: the PR was closed; queued reviews for it are cancelled.
    - ``merged``: the PR was merged; the merge evidence goes into the decision log (``head_sha``:
      the merged head; ``data`` has ``merge_commit_sha``, ``merged_at``).
    - ``installation``: installation bookkeeping; ``data`` has ``action``, ``account``, repos.
    """

    kind: Literal["review", "withdraw", "command", "review_dismissed", "close", "merged", "installation"]
    repo: str | None = None
    pr_number: int | None = None
    installation_id: int | None = None
    head_sha: str | None = None
    actor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def plan(event: WebhookEvent, *, bot_login: str | None = None) -> tuple[list[Task], str]:
    """What a parsed event asks Quorum to do: ``(tasks, note)``.

    ``note`` is a short reason, logged with the delivery (e.g. ``"draft: review deferred until
    ready_for_review"``). Comments by the bot itself or by any bot account yield no task, and so do
    comments without a ``/quorum`` line (the grammar lives in ``bot.core.commands``; this function
    only looks for the ``/quorum`` prefix). Draft pull requests are not reviewed until they are
    marked ready (a draft's review could never approve, and there is one decision per head SHA).
    """
    inst = installation_id(event)
    if isinstance(event, PullRequestEvent):
        pr = event.pull_request
        base = {"repo": event.repository.full_name, "pr_number": pr.number, "installation_id": inst}
        if event.action == "converted_to_draft":
            return [Task(kind="withdraw", head_sha=pr.head.sha, actor=event.sender.login,
                         data={"reason": "converted_to_draft"}, **base)], "draft: approval withdrawn"
        if event.action == "closed":
            close = Task(kind="close", **base)
            if pr.merged:
                merged_by = pr.merged_by.login if pr.merged_by is not None else event.sender.login
                return [close, Task(kind="merged", head_sha=pr.head.sha, actor=merged_by,
                                    data={"merge_commit_sha": pr.merge_commit_sha, "merged_at": pr.merged_at},
                                    **base)], "merged: queued reviews cancelled, merge evidence queued"
            return [close], "closed: queued reviews cancelled"
        if event.action not in REVIEW_ACTIONS:
            return [], f"pull_request action {event.action!r} ignored"
        if pr.state != "open":
            return [], "pull request is not open"
        if pr.draft:
            return [], "draft: review deferred until ready_for_review"
        if event.action == "edited" and not event.changes:
            return [], "edited without changes"
        return [Task(kind="review", head_sha=pr.head.sha, actor=event.sender.login,
                     data={"action": event.action}, **base)], f"review queued ({event.action})"
    if isinstance(event, IssueCommentEvent):
        if event.action != "created":
            return [], f"issue_comment action {event.action!r} ignored"
        if event.issue.pull_request is None:
            return [], "comment on an issue, not a pull request"
        author = event.comment.user
        if author.is_bot or (bot_login is not None and author.login.lower() == bot_login.lower()):
            return [], f"comment by bot account {author.login!r} ignored"
        if not any(line.strip().lower().startswith("/quorum") for line in event.comment.body.splitlines()):
            return [], "comment without a /quorum command"
        return [Task(kind="command", repo=event.repository.full_name, pr_number=event.issue.number,
                     installation_id=inst, actor=author.login,
                     data={"comment_id": event.comment.id, "body": event.comment.body[:10_000]})], "command queued"
    if isinstance(event, PullRequestReviewEvent):
        reviewer = event.review.user
        is_ours = reviewer is not None and bot_login is not None and reviewer.login.lower() == bot_login.lower()
        if event.action == "dismissed" and is_ours and not (event.sender.login.lower() == (bot_login or "").lower()):
            return [Task(kind="review_dismissed", repo=event.repository.full_name,
                         pr_number=event.pull_request.number, installation_id=inst,
                         head_sha=event.review.commit_id, actor=event.sender.login,
                         data={"review_id": event.review.id, "state": event.review.state})], "dismissal recorded"
        return [], f"pull_request_review action {event.action!r} ignored"
    if isinstance(event, InstallationEvent):
        repos = [r.full_name for r in event.repositories or []]
        account = event.installation.account.login if event.installation.account else None
        return [Task(kind="installation", installation_id=event.installation.id,
                     actor=event.sender.login if event.sender else None,
                     data={"action": event.action, "account": account, "repositories": repos})], (
            f"installation {event.action}"
        )
    if isinstance(event, InstallationRepositoriesEvent):
        account = event.installation.account.login if event.installation.account else None
        return [Task(kind="installation", installation_id=event.installation.id,
                     actor=event.sender.login if event.sender else None,
                     data={"action": f"repositories_{event.action}", "account": account,
                           "added": [r.full_name for r in event.repositories_added],
                           "removed": [r.full_name for r in event.repositories_removed]})], (
            f"installation repositories {event.action}"
        )
    return [], "ping"
