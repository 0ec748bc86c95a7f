"""Terminal rendering of a review with rich: verdicts, findings (file:line, rule, severity,
message, evidence) and the policy decision with its reasons, rendered from the policy tree."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.core.models import Action, ReviewResult, RuleResult, Severity, Status

_SEV_STYLE = {Severity.info: "dim", Severity.minor: "cyan", Severity.major: "yellow", Severity.critical: "bold red"}
_STATUS_STYLE = {Status.passed: "green", Status.concern: "yellow", Status.block: "bold red", Status.abstain: "magenta"}
_ACTION_STYLE = {
    Action.approve: "bold green",
    Action.comment: "bold cyan",
    Action.request_changes: "bold red",
    Action.needs_human: "bold yellow",
}
_MARK = {"pass": "[green]✓[/]", "fail": "[red]✗[/]", "skip": "[dim]–[/]"}


def size_phrase(stats: dict[str, int]) -> str:
    """The change's size for a header, from ``Diff.stats()``: ``3 files, +102/-1``.

    A truncated diff says so and how much was reviewed: ``12 files, +300000/-0 (truncated:
    reviewed 0 files, 0 changed lines)``; when the whole size is unknown its figures are lower
    bounds (``at least 12 files, +300000/-0``). Pure.
    """
    files = stats.get("files", 0)
    text = f"{files} file{'' if files == 1 else 's'}, +{stats.get('additions', 0)}/-{stats.get('deletions', 0)}"
    if not stats.get("truncated"):
        return text
    if not stats.get("whole_known"):
        text = "at least " + text
    return (
        f"{text} (truncated: reviewed {stats.get('reviewed_files', 0)} files, "
        f"{stats.get('reviewed_changed_lines', 0)} changed lines)"
    )


def print_review(result: ReviewResult, console: Console, *, show_tree: bool = False) -> None:
    """Print a review readably. ``show_tree`` prints the whole policy result tree."""
    pr = result.pr
    console.print(
        f"[bold]{escape(pr.title or '(no title)')}[/]  "
        f"[dim]{pr.base_sha[:10]}..{pr.head_sha[:10]} · {escape(size_phrase(result.diff_stats))}[/]"
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    with_llm = any(v.model != "offline" or v.tokens for v in result.verdicts)
    columns = ("agent", "status", "risk", "conf.", "findings", "model", "ms")
    for col in columns + (("tokens", "cost $") if with_llm else ()):
        table.add_column(col)
    for v in result.verdicts:
        table.add_row(
            v.agent,
            f"[{_STATUS_STYLE[v.status]}]{v.status.value}[/]",
            f"{v.risk:.2f}",
            f"{v.confidence:.2f}",
            str(len(v.findings)),
            escape(v.model),
            f"{v.elapsed_ms:.0f}",
            *((str(v.tokens), f"{v.cost_usd:.4f}") if with_llm else ()),
        )
    console.print(table)
    if with_llm:
        console.print(
            f"[dim]LLM total: {sum(v.tokens for v in result.verdicts)} tokens, "
            f"${sum(v.cost_usd for v in result.verdicts):.4f}[/]"
        )
    for v in result.verdicts:
        if v.error:
            console.print(f"  [magenta]{v.agent} abstained:[/] {escape(v.error)}")
        for f in v.findings:
            where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or "(pull request)")
            console.print(
                f"  [{_SEV_STYLE[f.severity]}]{f.severity.value:<8}[/] {escape(where)}  "
                f"[bold]{escape(f.rule_id)}[/] [dim]{f.id}[/]\n           {escape(f.message)}"
            )
            for step in f.evidence[:6]:
                console.print(f"           [dim]↳ {escape(step)}[/]")
            if len(f.evidence) > 6:
                console.print(f"           [dim]↳ … {len(f.evidence) - 6} more[/]")
    d = result.decision
    console.print(
        f"\nDecision: [{_ACTION_STYLE[d.action]}]{d.action.value}[/]  [dim]risk {d.risk:.2f} · "
        f"{d.policy_version[:19]} · {d.decision_id}[/]"
    )
    for r in d.reasons:
        console.print(f"  • [bold]{escape(r.rule_id)}[/]: {escape(r.message)}")
    if show_tree and d.tree is not None:
        _print_tree(d.tree, console, 0)
    t = result.timings
    console.print(
        f"[dim]timings: total {t.total_ms:.0f} ms (snapshot {t.snapshot_ms:.0f}, agents {t.agents_ms:.0f}, "
        f"index {t.index_ms:.0f}, policy {t.policy_ms:.0f}, log {t.log_ms:.0f})[/]"
    )
    if result.record_hash:
        console.print(f"[dim]decision log record {result.record_hash[:16]}[/]")


def _print_tree(node: RuleResult, console: Console, depth: int) -> None:
    mark = _MARK.get(node.status, node.status)
    msg = f" — {escape(node.message)}" if node.message else ""
    console.print(f"{'  ' * (depth + 1)}{mark} {escape(node.rule_id)}: {escape(node.description)}{msg}")
    for child in node.children:
        _print_tree(child, console, depth + 1)
