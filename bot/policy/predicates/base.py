"""Helpers shared by the predicates: building result nodes and quoting untrusted text in messages.

A predicate is a pure function ``(Policy, PolicyInput) -> RuleResult`` returning one leaf node:
``status`` ``pass`` (the gate holds), ``fail`` or ``skip`` (not applicable under this policy);
``action`` is what the node asks for when it fails (None: the ``auto_approve`` node's action,
``actions.gate_failed``, applies); ``details`` holds the JSON-able values it looked at.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from bot.core.models import Action, RuleResult
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy

Predicate = Callable[[Policy, PolicyInput], RuleResult]

PASS, FAIL, SKIP = "pass", "fail", "skip"

MAX_DETAIL_ITEMS = 50
"""Lists in ``details`` keep at most this many entries (the count is kept beside them)."""

MAX_MESSAGE_ITEMS = 5
"""Messages name at most this many items, then say how many more."""


def leaf(
    rule_id: str,
    description: str,
    ok: bool | None,
    message: str,
    *,
    action: Action | None = None,
    details: dict[str, Any] | None = None,
) -> RuleResult:
    """A leaf node: ``ok`` True -> pass, False -> fail, None -> skip."""
    status = SKIP if ok is None else (PASS if ok else FAIL)
    return RuleResult(
        rule_id=rule_id,
        description=description,
        status=status,
        message=message,
        action=action,
        details=details or {},
    )


def group(rule_id: str, description: str, children: list[RuleResult], *, action: Action | None = None) -> RuleResult:
    """A node over ``children``: fail if any gate (leaf) below fails, else pass if any passes,
    else skip. Its message counts the gates below it and names the failing ones."""
    gates = [g for c in children for g in leaves(c)]
    failed = [g for g in gates if g.status == FAIL]
    skipped = sum(1 for g in gates if g.status == SKIP)
    if failed:
        status = FAIL
        message = f"{len(failed)} of {plural(len(gates), 'gate')} failed: " + listing((g.rule_id for g in failed), 10)
    elif len(gates) > skipped:
        status = PASS
        message = f"all {plural(len(gates) - skipped, 'applicable gate')} held" + (f" ({skipped} skipped)" if skipped else "")
    else:
        status = SKIP
        message = "not applicable"
    return RuleResult(
        rule_id=rule_id,
        description=description,
        status=status,
        message=message,
        action=action,
        children=children,
    )


def leaves(node: RuleResult) -> list[RuleResult]:
    """The leaf nodes (gates) under ``node``, depth-first; ``[node]`` for a leaf."""
    if not node.children:
        return [node]
    return [g for c in node.children for g in leaves(c)]


def quote(text: str, limit: int = 120) -> str:
    """Untrusted text (paths, logins, reasons) made safe for a one-line message.

    Control, format (zero-width, bidi) and line-separator characters become ``\\uXXXX`` escapes;
    longer text is cut to ``limit`` characters with an ellipsis.
    """
    out: list[str] = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def listing(items: Iterable[str], limit: int = MAX_MESSAGE_ITEMS) -> str:
    """``"a, b, c"``, or ``"a, b, c and 4 more"`` past ``limit`` items."""
    seq = list(items)
    head = ", ".join(seq[:limit])
    return head if len(seq) <= limit else f"{head} and {len(seq) - limit} more"


def capped(items: list[Any]) -> list[Any]:
    """At most :data:`MAX_DETAIL_ITEMS` entries of ``items``."""
    return items[:MAX_DETAIL_ITEMS]


def plural(n: int, word: str) -> str:
    """``"1 file"``, ``"3 files"``, with thousands separators."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
