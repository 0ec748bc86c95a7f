"""Approval guards: checks made right before an APPROVE is posted, passed into the review path.

A guard is any callable ``guard(result: ReviewResult) -> str | None``: None lets the approval go
ahead, a string is the reason to withhold it. :func:`bot.pipeline.run_review` hands every sink an
:class:`ApprovalGate` over the caller's guards; a sink that can approve (``GitHubSink``) asks the
gate immediately before it posts the APPROVE review, and never approves without a gate.

Examples of guards: the head SHA re-read from GitHub still equals the reviewed one; no human review
was requested meanwhile; the approval intent could be written to the decision log; required
checks are green. Fail closed: a guard that raises withholds the approval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.models import ReviewResult

ApprovalGuard = Callable[["ReviewResult"], "str | None"]
"""``guard(result) -> reason to withhold the approval, or None``."""

NO_GATE_REASON = "no approval guards were given, so Quorum does not approve"


def guard_name(guard: ApprovalGuard) -> str:
    """A readable name for a guard (its ``name`` attribute, else its ``__name__``, else its type)."""
    return str(getattr(guard, "name", None) or getattr(guard, "__name__", None) or type(guard).__name__)


class ApprovalGate:
    """Runs the guards, in order, each time :meth:`check` is called; the first reason wins.

    ``withheld`` keeps the last reason given (None when the last check let the approval through,
    or before any check); ``checked`` counts the calls.
    """

    def __init__(self, guards: Sequence[ApprovalGuard] = ()) -> None:
        self.guards = tuple(guards)
        self.withheld: str | None = None
        self.checked = 0

    def check(self, result: ReviewResult) -> str | None:
        """Reason to withhold the approval of ``result``, or None. A guard that raises counts as a
        reason (``approval guard <name> failed: <Type>: <message>``), never as a pass."""
        self.checked += 1
        self.withheld = None
        for guard in self.guards:
            try:
                reason = guard(result)
            except Exception as exc:  # noqa: BLE001 - any guard failure withholds the approval
                reason = f"approval guard {guard_name(guard)} failed: {type(exc).__name__}: {exc}"[:500]
            if reason:
                self.withheld = str(reason)
                return self.withheld
        return None
