"""What a GitHub Actions event asks Quorum to do. Pure: the event payload (a dict) in, an
:class:`ActionEvent` out.

The payload is the file at ``GITHUB_EVENT_PATH``: the webhook payload of the event that started
the workflow (GitHub docs, "Events that trigger workflows"; examples in octokit/webhooks'
``payload-examples``). Handled:

- ``pull_request`` / ``pull_request_target`` with action ``opened``, ``synchronize``,
  ``reopened`` or ``ready_for_review``: review the pull request;
- ``issue_comment`` ``created`` on a pull request (``issue.pull_request`` is present) whose body
  holds a ``/quorum`` command (:func:`bot.core.commands.parse_command`), not written by a bot.

Everything else is ``ignore`` with a reason. A ``pull_request`` event from a fork runs with a
read-only ``GITHUB_TOKEN`` (GitHub docs, "Automatic token authentication": "Permissions for the
GITHUB_TOKEN ... pull requests from public forks ... read"), so ``read_only`` is set for it;
``pull_request_target`` and ``issue_comment`` run in the base repository with its token.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from bot.core.commands import Command, parse_command

REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
"""``pull_request`` actions that (re)review the pull request."""
PULL_EVENTS = frozenset({"pull_request", "pull_request_target"})


class EventKind(StrEnum):
    review = "review"
    command = "command"
    ignore = "ignore"


class ActionEvent(BaseModel):
    """The event, reduced to what the Action needs.

    ``repo``: ``owner/name``; ``number``: the pull request; ``head_sha``: the head named by the
    event (the review re-reads the current head); ``fork``: the head lives in another repository;
    ``read_only``: the workflow's token cannot write (a fork's ``pull_request``); ``command`` /
    ``actor``: the parsed comment command and its author; ``reason``: why an event is ignored.
    """

    kind: EventKind
    event_name: str
    action: str = ""
    repo: str = ""
    number: int | None = None
    head_sha: str | None = None
    fork: bool = False
    read_only: bool = False
    actor: str = ""
    command: Command | None = None
    reason: str = ""

    @property
    def ref(self) -> str:
        """The pull request's head ref as code scanning names it: ``refs/pull/<n>/head``."""
        return f"refs/pull/{self.number}/head"


def _is_bot(user: dict[str, Any] | None) -> bool:
    user = user or {}
    return user.get("type") == "Bot" or str(user.get("login", "")).lower().endswith("[bot]")


def parse_event(event_name: str, payload: dict[str, Any]) -> ActionEvent:
    """Reduce ``payload`` of event ``event_name`` to an :class:`ActionEvent` (never raises for an
    unexpected shape: it becomes ``ignore`` with the reason)."""
    action = str(payload.get("action") or "")
    repo = str((payload.get("repository") or {}).get("full_name") or "")
    base = ActionEvent(kind=EventKind.ignore, event_name=event_name, action=action, repo=repo)
    if not repo:
        return base.model_copy(update={"reason": "the event names no repository"})
    if event_name in PULL_EVENTS:
        pull = payload.get("pull_request") or {}
        number = pull.get("number") or payload.get("number")
        if not isinstance(number, int):
            return base.model_copy(update={"reason": "the event names no pull request"})
        head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
        base_repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or repo
        fork = head_repo is None or head_repo.lower() != base_repo.lower()
        update: dict[str, Any] = {
            "number": number, "head_sha": (pull.get("head") or {}).get("sha"), "fork": fork,
            "read_only": fork and event_name == "pull_request",
            "actor": str((payload.get("sender") or {}).get("login") or ""),
        }
        if action not in REVIEW_ACTIONS:
            return base.model_copy(update={**update, "reason": f"nothing to do for pull_request {action or '(no action)'}"})
        if pull.get("state", "open") != "open":
            return base.model_copy(update={**update, "reason": f"the pull request is {pull.get('state')}"})
        return base.model_copy(update={**update, "kind": EventKind.review})
    if event_name == "issue_comment":
        issue = payload.get("issue") or {}
        comment = payload.get("comment") or {}
        number = issue.get("number")
        update = {"number": number if isinstance(number, int) else None,
                  "actor": str((comment.get("user") or {}).get("login") or "")}
        if action != "created":
            return base.model_copy(update={**update, "reason": f"nothing to do for issue_comment {action}"})
        if not issue.get("pull_request"):
            return base.model_copy(update={**update, "reason": "the comment is on an issue, not a pull request"})
        if _is_bot(comment.get("user")):
            return base.model_copy(update={**update, "reason": "comments by bots are ignored"})
        command = parse_command(str(comment.get("body") or ""))
        if command is None:
            return base.model_copy(update={**update, "reason": "the comment holds no /quorum command"})
        return base.model_copy(update={**update, "kind": EventKind.command, "command": command})
    return base.model_copy(update={"reason": f"Quorum does not handle {event_name or 'this'} events"})


__all__ = ["REVIEW_ACTIONS", "ActionEvent", "EventKind", "parse_event"]
