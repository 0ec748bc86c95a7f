"""ReviewContext: everything a sub-agent may look at, read-only.

Built by the pipeline from a Snapshot. Sub-agents must not do I/O other than through the
TreeViews and the code index supplied here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.agent_options import AgentOptions, parse_all, parse_options
from bot.core.changeset import ChangedFiles
from bot.core.diff import Diff, FileChange
from bot.core.models import PullRequestInfo
from bot.core.protocols import Linters, TreeView

if TYPE_CHECKING:  # the code index is a higher layer: typed here, never imported at run time
    from bot.codeindex import CodeIndex
    from bot.core.models import Verdict


class Reasoner(Protocol):
    """The optional LLM layer as the agents see it (``bot.llm.Reasoner`` implements it):
    ``reasoner(agent_name, ctx, analysis) -> Verdict``, an advisory verdict that can only tighten the
    deterministic one (``analysis`` is the agent's ``subagents.base.Analysis``)."""

    def __call__(self, agent: str, ctx: ReviewContext, analysis: Any, /) -> Verdict:  # noqa: ANN401 - Analysis lives above core
        ...


@dataclass
class ReviewContext:
    """Inputs of one review.

    - ``pr``: pull-request facts (title and body are untrusted text).
    - ``diff``: the parsed diff from base to head.
    - ``base`` / ``head``: read-only trees of the two revisions.
    - ``code_index``: a zero-argument callable returning the head code index
      (``bot.codeindex.CodeIndex``), built lazily and shared by agents; None when unavailable.
    - ``deadline``: ``time.monotonic()`` value after which agents should stop and report
      ``truncated``; None for no deadline.
    - ``options``: per-agent settings from the policy, typed (:mod:`bot.core.agent_options`);
      plain mappings given here are validated into the models (unknown keys raise ``ValueError``).
    - ``llm``: optional reasoner factory (issue 4); None means offline.
    - ``linters``: runs ruff/oxlint on copies of file contents (:class:`~bot.core.protocols.Linters`);
      None: the lint checks do not run (the pipeline always sets one).
    """

    pr: PullRequestInfo
    diff: Diff
    base: TreeView
    head: TreeView
    code_index: Callable[[], CodeIndex] | None = None
    deadline: float | None = None
    options: dict[str, AgentOptions] = field(default_factory=dict)
    llm: Reasoner | None = None
    linters: Linters | None = None
    files: ChangedFiles = field(init=False, repr=False)
    """The parse-once view of both versions of the changed files (:mod:`bot.core.changeset`),
    shared by every agent of the review."""

    def __post_init__(self) -> None:
        self.options = parse_all(self.options)  # type: ignore[arg-type] - mappings are accepted too
        self.files = ChangedFiles(self.base, self.head, self.diff.files)

    def agent_options(self, agent: str) -> AgentOptions:
        """The typed options of ``agent`` (defaults when the policy gave none)."""
        return self.options.get(agent) or parse_options(agent, None)

    def time_left(self) -> float | None:
        """Seconds until the deadline (may be negative), or None without a deadline."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def text_files(self) -> list[FileChange]:
        """Changed files with a textual diff: not binary, not a submodule, not deleted."""
        return [
            f
            for f in self.diff.files
            if not f.is_binary and not f.is_submodule and f.kind.value != "deleted"
        ]

    def head_text(self, path: str) -> str | None:
        """Head-revision text of ``path`` decoded as UTF-8 with replacement, or None (read once per review)."""
        return self.files.text("head", path)

    def base_text(self, path: str) -> str | None:
        """Base-revision text of ``path`` decoded as UTF-8 with replacement, or None (read once per review)."""
        return self.files.text("base", path)
