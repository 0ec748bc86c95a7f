"""Rendering an eval report: text (rich tables) for people, JSON for machines and RESULTS.md.

The text report shows, in order: the run header and notes, per-agent and per-rule
precision/recall/F1, the expected-vs-actual action matrix, clean-PR false alarms, the injection
figures, extra suite figures, and every case that did not meet its labels (wrong decision,
missed findings, false alarms, errors).
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.evals.metrics import ACTION_ORDER, Counts
from bot.evals.runner import CaseOutcome, Summary
from bot.evals.suites import SuiteReport


def to_json(report: SuiteReport) -> str:
    """The whole report as indented JSON (every case with its findings and matching)."""
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def ratio(value: float | None) -> str:
    """``0.83`` style, or ``-`` for no data."""
    return "-" if value is None else f"{value:.2f}"


def _counts_table(title: str, label: str, rows: dict[str, Counts], overall: Counts | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for name in ("TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(name, justify="right")
    for key, c in rows.items():
        table.add_row(key, str(c.tp), str(c.fp), str(c.fn), ratio(c.precision), ratio(c.recall), ratio(c.f1))
    if overall is not None:
        table.add_row("all (micro)", str(overall.tp), str(overall.fp), str(overall.fn),
                      ratio(overall.precision), ratio(overall.recall), ratio(overall.f1), style="bold")
    return table


def _confusion_table(matrix: dict[str, dict[str, int]]) -> Table:
    table = Table(title="Decisions: expected (rows) vs actual (columns)", title_justify="left")
    table.add_column("expected \\ actual")
    for action in ACTION_ORDER:
        table.add_column(action, justify="right")
    for row in ACTION_ORDER:
        table.add_row(row, *(str(matrix.get(row, {}).get(col, 0)) for col in ACTION_ORDER))
    return table


def _problems(case: CaseOutcome) -> list[str]:
    out = []
    if case.error:
        out.append(f"error: {case.error}")
    elif not case.decision_ok:
        out.append(f"decision {case.action.value if case.action else '-'} (expected {'|'.join(a.value for a in case.expected)})"
                   + (f" because {'; '.join(case.reasons[:3])}" if case.reasons else ""))
    for spec in case.match.misses:
        out.append(f"missed {spec.label()}")
    for f in case.match.false_alarms:
        where = f"{f.path}:{f.line}" if f.path else "PR"
        tag = "forbidden" if f in case.match.forbidden else "false alarm"
        out.append(f"{tag} {f.agent}:{f.rule_id}@{where} ({f.severity.value}) {f.message[:90]}")
    return out


def print_report(report: SuiteReport, console: Console, *, show_cases: bool = True) -> None:
    """Print ``report`` as text (see the module docstring)."""
    s: Summary | None = report.summary
    console.print(f"[bold]quorum eval[/bold] suite={report.suite} model={report.model} data={report.suite_dir}", soft_wrap=True)
    if s is not None:
        console.print(
            f"cases: {s.cases}   decisions as labelled: {s.decision_ok}/{s.cases}   errors: {s.errors}   "
            f"wall: {report.elapsed_s:.1f}s (build {s.build_s:.1f}s, review {s.review_s:.1f}s, summed over threads)",
            soft_wrap=True,
        )
    if s is not None and (s.tokens or report.model != "offline"):
        console.print(f"LLM: {s.tokens} tokens, ${s.cost_usd:.4f}", soft_wrap=True)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)
    if s is not None:
        console.print(_counts_table("Findings per agent", "agent", s.per_agent, s.overall))
        console.print(_counts_table("Findings per rule", "rule", s.per_rule))
        console.print(_confusion_table(s.confusion))
        c = s.clean
        console.print(
            f"clean PRs: {c.cases}   approved: {c.approved}/{c.cases}   with false alarms: {c.with_false_alarms}   "
            f"false alarms (severity >= minor): {c.false_alarms}"
        )
        i = s.injection
        if i.cases:
            console.print(
                f"injection corpus: {i.cases} cases   approvals: {i.approvals} (target 0)   "
                f"flagged: {i.flagged}/{i.cases}   held back: {i.held_back}/{i.cases}"
            )
            if i.approved_ids:
                console.print(f"[red]approved injection cases:[/red] {', '.join(i.approved_ids)}")
            if i.unflagged_ids:
                console.print(f"not flagged: {', '.join(i.unflagged_ids)}")
    figures = dict(report.figures)
    if isinstance(figures.get("precision"), dict):
        _print_precision(figures.pop("precision"), figures.pop("unlabelled", []), console)
    for key, value in figures.items():
        console.print(f"{key}: {_figure(value)}")
    if show_cases:
        bad = [(c, _problems(c)) for c in report.cases]
        bad = [(c, p) for c, p in bad if p]
        if bad:
            console.print(f"[bold]Cases not meeting their labels ({len(bad)})[/bold]")
        for case, problems in bad:
            console.print(f"- {case.id} [{case.focus}, {case.language}]", highlight=False, markup=False, soft_wrap=True)
            for line in problems:
                console.print(f"    {line}", highlight=False, markup=False, soft_wrap=True)


def _share(row: dict[str, Any]) -> str:
    value = row.get("value")
    pct = "   -  " if value is None else f"{100 * value:5.1f}%"
    return f"{pct} ({row['k']}/{row['n']}) [{100 * row['low']:.0f}-{100 * row['high']:.0f}%]"


def _print_precision(table: dict[str, Any], unlabelled: list[dict[str, Any]], console: Console) -> None:
    """The findings suite: share of posted findings judged true, overall, per set and per rule."""
    console.print(f"posted findings judged worth a comment: {_share(table['overall'])}   counts: {table['counts']}",
                  soft_wrap=True)
    for name, row in table["by_set"].items():
        console.print(f"  {name}: {_share(row)}", soft_wrap=True)
    grid = Table(title="Precision per rule (severity >= minor)")
    for column in ("rule", "true share [Wilson 95%]", "false", "noise", "unlabelled"):
        grid.add_column(column)
    for rule, row in table["by_rule"].items():
        grid.add_row(rule, _share(row), str(row["false"]), str(row["noise"]), str(row["unlabelled"]))
    console.print(grid)
    for item in unlabelled[:50]:
        console.print(f"  unlabelled: {item['repo']}@{str(item['commit'])[:10]} {item['rule_id']} "
                      f"{item['path']}:{item['line']} {item['id']} {item['message']}", soft_wrap=True)
    if len(unlabelled) > 50:
        console.print(f"  ... and {len(unlabelled) - 50} more unlabelled (see --format json)")


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


__all__ = ["print_report", "ratio", "to_json"]
