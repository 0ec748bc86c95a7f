"""Markdown rendering of a review: the check-run summary and ``--format markdown``.

All PR-derived text that is echoed (finding messages quote code) is escaped so it cannot open
HTML comments or mention users; callers should pass redacted findings (``bot.core.sanitize``).
"""

from __future__ import annotations

from bot.core.models import Action, ReviewResult, Status

_ACTION = {
    Action.approve: "✅ approve",
    Action.comment: "💬 comment",
    Action.request_changes: "⛔ request changes",
    Action.needs_human: "🧑 needs a human reviewer",
}
_STATUS = {Status.passed: "pass", Status.concern: "concern", Status.block: "block", Status.abstain: "abstain"}


def escape(text: str) -> str:
    """Neutralise Markdown/HTML that PR text could use: ``<``, ``@`` mentions, pipes in tables."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b").replace("|", "\\|")
    )


def to_markdown(result: ReviewResult, *, max_findings: int = 50) -> str:
    """Markdown summary: decision and reasons, a table of verdicts, then findings (capped)."""
    d = result.decision
    lines = [
        f"## Quorum: {_ACTION[d.action]}",
        "",
        f"Head `{result.pr.head_sha[:12]}` · base `{result.pr.base_sha[:12]}` · risk {d.risk:.2f} · "
        f"policy `{d.policy_version[:19]}` · decision `{d.decision_id}`",
        "",
        "### Reasons",
    ]
    lines += [f"- **{escape(r.rule_id)}**: {escape(r.message)}" for r in d.reasons]
    lines += ["", "### Sub-agents", "", "| agent | status | risk | confidence | findings | model |", "|---|---|---|---|---|---|"]
    for v in result.verdicts:
        lines.append(
            f"| {v.agent} | {_STATUS[v.status]} | {v.risk:.2f} | {v.confidence:.2f} | {len(v.findings)} | {escape(v.model)} |"
        )
    findings = [f for v in result.verdicts for f in v.findings]
    if findings:
        lines += ["", "### Findings", ""]
        for f in findings[:max_findings]:
            where = f"`{escape(f.path)}:{f.line}`" if f.path and f.line else (f"`{escape(f.path)}`" if f.path else "PR")
            lines.append(f"- **{f.severity.value}** {where} `{f.rule_id}` ({f.id}): {escape(f.message)}")
            for step in f.evidence[:5]:
                lines.append(f"  - {escape(step)}")
        if len(findings) > max_findings:
            lines.append(f"- … and {len(findings) - max_findings} more")
    return "\n".join(lines) + "\n"
