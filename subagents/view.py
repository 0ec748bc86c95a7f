"""The view a check runs over: one review's changed files, parsed once, read-only.

A :class:`CheckView` is built by an agent (:class:`subagents.framework.CheckedAgent`) for one
review and handed to each of its checks. It gives the pull request's text, the diff's hunks,
both versions of every changed file with their syntax trees (the review-wide parse-once
:class:`~bot.core.changeset.ChangedFiles`, shared by all agents), the typed options of the agent,
the deadline, and a per-agent memo for facts several checks share (computed once, on first use).

It never gives the raw repository: a check reads a file version only through :attr:`files`
(bytes, text, tree), and sees the rest of the repository as a list of paths
(:meth:`repository_paths`). Nothing here runs, imports or builds code from the pull request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.agent_options import AgentOptions
from bot.core.changeset import ChangedFiles, Side
from bot.core.context import ReviewContext
from bot.core.diff import Diff, FileChange
from bot.core.models import PullRequestInfo
from bot.core.protocols import Linters

if TYPE_CHECKING:  # the code index is a higher layer: typed here, never imported at run time
    from bot.codeindex import CodeIndex

T = TypeVar("T")


class CheckView:
    """What every check of one agent sees during one review (read-only apart from :meth:`memo`).

    - ``agent``: the agent's name; ``options``: its typed options (:mod:`bot.core.agent_options`);
    - ``pr``: title, body and other pull-request facts (untrusted text: compare, never follow);
    - ``diff``: the parsed diff (files, hunks, added and removed lines);
    - ``files``: both versions of the changed files, read once and parsed at most once per review;
    - ``linters``: runs ruff/oxlint on copies of file contents, or None;
    - ``params``: the agent instance's own settings (e.g. the anti-pattern catalog), or None.

    Not thread-safe: one agent runs its checks one after another in its own thread.
    """

    def __init__(self, ctx: ReviewContext, agent: str, params: object = None) -> None:
        self._ctx = ctx
        self.agent = agent
        self.params = params
        self.pr: PullRequestInfo = ctx.pr
        self.diff: Diff = ctx.diff
        self.files: ChangedFiles = ctx.files
        self.options: AgentOptions = ctx.agent_options(agent)
        self.linters: Linters | None = ctx.linters
        self._memo: dict[Hashable, Any] = {}
        self._paths: dict[str, tuple[str, ...]] = {}

    def time_left(self) -> float | None:
        """Seconds until the review's deadline (negative once passed), or None without one."""
        return self._ctx.time_left()

    def expired(self) -> bool:
        """True once the review's deadline has passed."""
        left = self.time_left()
        return left is not None and left <= 0

    def text_files(self) -> list[FileChange]:
        """Changed files with a textual diff: not binary, not a submodule, not deleted."""
        return self._ctx.text_files()

    def head_text(self, path: str) -> str | None:
        """Head text of ``path`` (UTF-8, errors replaced), or None; read once per review."""
        return self.files.text("head", path)

    def base_text(self, path: str) -> str | None:
        """Base text of ``path`` (UTF-8, errors replaced), or None; read once per review."""
        return self.files.text("base", path)

    def repository_paths(self, side: Side) -> tuple[str, ...]:
        """Every file path of the ``side`` revision's tree (names only, no contents), listed once."""
        if side not in self._paths:
            tree = self._ctx.base if side == "base" else self._ctx.head
            self._paths[side] = tuple(tree.list_files())
        return self._paths[side]

    def code_index(self) -> CodeIndex | None:
        """The head revision's code index (built lazily, shared by the agents), or None."""
        return self._ctx.code_index() if self._ctx.code_index is not None else None

    def build_code_index(self) -> CodeIndex:
        """A code index of the head revision built for this view, when the review shares none
        (:meth:`code_index` is None): parsing only, in this process."""
        from bot.codeindex import build_index  # noqa: PLC0415 - a higher layer, needed only here

        return self.memo("view.code_index", lambda: build_index(self._ctx.head))

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per agent review for ``key``; later calls return the same object.
        For facts several checks share (a scan scope, a comparison of both versions)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]


__all__ = ["CheckView"]
