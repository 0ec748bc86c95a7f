"""Interfaces the core depends on. Adapters implement them; each has exactly one shared fake
(in ``bot/testing/``) used by tests and evals alike.

Nothing here does I/O; these are typing Protocols only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from bot.core.diff import Diff
from bot.core.models import PullRequestInfo, Record, ReviewResult

if TYPE_CHECKING:
    from bot.core.guards import ApprovalGate

Side = Literal["base", "head"]


@runtime_checkable
class TreeView(Protocol):
    """Read-only view of one revision's tree (base or head). Never checks anything out.

    Paths are POSIX, relative to the repository root.
    """

    sha: str

    def list_files(self) -> dict[str, str]:
        """Map every regular file path to its git blob SHA (symlinks and submodules excluded)."""
        ...

    def read(self, path: str) -> bytes | None:
        """The file's bytes at this revision, or None when it does not exist there."""
        ...

    def read_blob(self, blob_sha: str) -> bytes | None:
        """The bytes of a blob by SHA, or None when unknown."""
        ...


@runtime_checkable
class Linters(Protocol):
    """Runs an external analyzer (ruff, oxlint) on copies of file contents (see :mod:`bot.lint`).

    ``lint(tool, files, rules)`` takes ``{repo-relative path: text}`` and the tool's rule codes to
    switch on, and returns diagnostics with ``code``, ``path``, ``line``, ``column``, ``message`` and
    ``url``. It raises an exception when the tool cannot run; the caller then fails closed.
    """

    def lint(self, tool: str, files: Mapping[str, str], rules: Sequence[str]) -> list[Any]: ...


@dataclass(slots=True, kw_only=True)
class Snapshot(Record):
    """What a PullRequestSource yields: PR facts, the parsed diff, and the base-branch policy text.

    ``base`` and ``head`` are TreeViews (any objects: nothing here checks them).
    ``policy_text`` and ``codeowners_text`` are the repository's ``.quorum.yml`` and CODEOWNERS **as
    of the tip of the target branch** (``pr.policy_sha``), never the head; None when absent.
    """

    pr: PullRequestInfo
    diff: Diff
    base: Any
    head: Any
    policy_text: str | None = None
    codeowners_text: str | None = None
    risk_model_text: str | None = None
    """``.quorum/risk-model.json`` read from the same revision as the policy, or None."""

    def close(self) -> None:
        """Release what the trees hold open (e.g. a ``git cat-file`` process); safe to call twice."""
        for tree in (self.base, self.head):
            close = getattr(tree, "close", None)
            if callable(close):
                close()


class PullRequestSource(Protocol):
    """Produces a Snapshot of one pull request (GitHub API, or a local git repository)."""

    def snapshot(self) -> Snapshot:
        """Take the snapshot. Raises ``bot.core.errors.SourceError`` with a one-line message."""
        ...


@dataclass(slots=True, kw_only=True)
class PostedArtifact(Record):
    """Something a sink posted: ``kind`` is ``check_run``, ``review``, ``comment`` or ``dismissal``.
    A record Quorum builds itself (a dataclass); ``model_validate`` checks a dict of the same shape
    with pydantic (imported only then)."""

    kind: str
    id: str
    url: str | None = None


class ReviewSink(Protocol):
    """Publishes a finished review somewhere (GitHub check run, review, comments).

    ``gate`` holds the caller's approval guards (:mod:`bot.core.guards`): a sink that can
    approve calls ``gate.check(result)`` right before posting the approval and withholds it on a
    reason; with no gate it never approves (fail closed).
    """

    def publish(self, result: ReviewResult, gate: ApprovalGate | None = None) -> list[PostedArtifact]:
        """Publish and return what was posted (empty for local sinks)."""
        ...


class PostingGuard(Protocol):
    """At-most-once GitHub writes (implemented by ``bot.jobs.postings``, bound to one job run).

    ``kind`` is ``approve`` (key ``repo#pr@head``), ``check_run`` (``repo@head``) or
    ``dismissal`` (``repo#review_id``). Only a caller whose ``claim`` returned True posts.
    """

    def claim(self, kind: str, key: str) -> bool:
        """True when this run may post ``(kind, key)``; False when another run has or will."""
        ...

    def done(self, kind: str, key: str, artifact_id: str | None) -> None:
        """Record that the claimed write was posted (GitHub's id of the artifact)."""
        ...

    def release(self, kind: str, key: str) -> None:
        """Give a claim back after GitHub answered the write with an error (a later run may try)."""
        ...


class DecisionLog(Protocol):
    """Append-only, hash-chained store of decision records (see ``bot.audit``)."""

    def append(self, record: dict) -> str:
        """Append one record (canonical-JSON-able dict); returns its ``record_hash``."""
        ...
