"""Audit reports computed from decision-log records (pure functions over record dicts, no I/O).

- :func:`find_exceptions`: merges an auditor must look at (change management, SOC 2 CC8.1);
- :func:`compute_stats`: the series behind the console's plots;
- :func:`feedback_votes` / :func:`rule_stats` / :func:`muted_rules`: the ``/quorum feedback`` loop.

Every function takes records in chain order (ascending ``seq``), as ``bot.audit.query.iter_records``
yields them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

EXCEPTION_KINDS: dict[str, str] = {
    "no_decision": "merged with no Quorum decision for the pull request",
    "unreviewed_sha": "merged at a head SHA that neither Quorum nor a human reviewed",
    "held_back_merged": "Quorum held the pull request back; a human took the decision and merged it",
}
"""Exception kinds and what each means, in report order."""

EXCEPTION_COLUMNS: tuple[str, ...] = (
    "exception", "repo", "pr_number", "merge_seq", "merged_at", "merged_by", "head_sha", "merge_commit_sha",
    "quorum_decision_id", "quorum_action", "quorum_decided_sha", "human_approvers", "decided_by", "explanation",
)
"""Columns of the exceptions report (API, console table and CSV)."""


def find_exceptions(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exceptions among the merge records, one row per (merge, exception kind), in chain order.

    For each ``merge`` record, Quorum's decisions on the same (repo, PR) logged before it count:
    - ``no_decision``: there is none;
    - ``unreviewed_sha``: no decision at the merged head SHA and no human approval of that SHA
      (reported with ``no_decision`` too when there was no decision at all);
    - ``held_back_merged``: the latest decision at the merged SHA was not an approval, or it was an
      approval that was not posted (withheld); ``decided_by`` names the human approvers of the
      merged SHA, else whoever merged.
    A merge approved by Quorum at the merged SHA, or approved by a human at that SHA after Quorum
    reviewed an earlier head, is no exception.
    """
    decisions: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for record in records:
        key = (record.get("repo"), record.get("pr_number"))
        if record.get("kind") == "decision":
            decisions[key].append(record)
            continue
        if record.get("kind") != "merge":
            continue
        head = record.get("head_sha")
        humans = list(record.get("human_approvers") or [])
        prior = decisions.get(key, [])
        at_sha = [d for d in prior if d.get("head_sha") == head]
        latest = (at_sha or prior or [None])[-1]

        def row(kind: str, explanation: str, decided_by: str | None = None,
                _record: dict[str, Any] = record, _latest: dict[str, Any] | None = latest,
                _humans: list[str] = humans) -> dict[str, Any]:
            return {
                "exception": kind, "repo": _record.get("repo"), "pr_number": _record.get("pr_number"),
                "merge_seq": _record.get("seq"), "merged_at": _record.get("merged_at") or _record.get("created_at"),
                "merged_by": _record.get("merged_by"), "head_sha": _record.get("head_sha"),
                "merge_commit_sha": _record.get("merge_commit_sha"),
                "quorum_decision_id": (_latest or {}).get("decision_id"), "quorum_action": (_latest or {}).get("action"),
                "quorum_decided_sha": (_latest or {}).get("head_sha"), "human_approvers": _humans,
                "decided_by": decided_by, "explanation": explanation,
            }

        if not prior:
            rows.append(row("no_decision", EXCEPTION_KINDS["no_decision"], decided_by=", ".join(humans) or record.get("merged_by")))
        if not at_sha and not humans and not record.get("quorum_approved"):
            decided = (latest or {}).get("head_sha")
            why = (f"merged {str(head)[:12]}; Quorum last decided on {str(decided)[:12]}" if decided
                   else f"merged {str(head)[:12]} with no review at all")
            rows.append(row("unreviewed_sha", why, decided_by=record.get("merged_by")))
        if at_sha:
            last = at_sha[-1]
            withheld = last.get("action") == "approve" and (
                (last.get("extra") or {}).get("approved") is False or (last.get("extra") or {}).get("approval_withheld"))
            if last.get("action") != "approve" or withheld:
                who = ", ".join(humans) if humans else record.get("merged_by")
                held = "approval withheld" if withheld else f"decision {last.get('action')}"
                rows.append(row("held_back_merged", f"Quorum: {held}; merged by {record.get('merged_by')}"
                                + (f" after approval by {', '.join(humans)}" if humans else " without a human approval"),
                                decided_by=who))
    order = {kind: i for i, kind in enumerate(EXCEPTION_KINDS)}
    rows.sort(key=lambda r: (r["merge_seq"] or 0, order[r["exception"]]))
    return rows


def _week(created_at: str | None) -> str | None:
    if not created_at:
        return None
    try:
        day = datetime.fromisoformat(created_at).date()
    except ValueError:
        return None
    return (day - timedelta(days=day.weekday())).isoformat()


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return round(ordered[int(rank) - 1], 2)


def review_latency_ms(record: dict[str, Any]) -> float | None:
    """A decision's review time in ms: ``timings.total_ms``, else the slowest agent's ``elapsed_ms``."""
    total = (record.get("timings") or {}).get("total_ms")
    if isinstance(total, (int, float)) and total > 0:
        return float(total)
    times = [v.get("elapsed_ms") for v in record.get("verdicts") or [] if isinstance(v.get("elapsed_ms"), (int, float))]
    return float(max(times)) if times else None


def feedback_votes(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """``{(repo, rule_id): {"up": n, "down": m}}`` from ``feedback`` records.

    A user's later vote on the same finding replaces their earlier one (as ``/quorum feedback``
    promises), so each (repo, PR, finding, user) counts once.
    """
    last: dict[tuple[Any, ...], tuple[str, str, str]] = {}
    for record in records:
        if record.get("kind") != "feedback":
            continue
        d = record.get("details") or {}
        vote, rule = d.get("vote"), d.get("rule_id")
        if vote not in ("up", "down") or not rule:
            continue
        last[(record.get("repo"), record.get("pr_number"), d.get("finding_id"), record.get("actor"))] = (
            str(record.get("repo")), str(rule), str(vote))
    out: dict[tuple[str, str], dict[str, int]] = {}
    for repo, rule, vote in last.values():
        out.setdefault((repo, rule), {"up": 0, "down": 0})[vote] += 1
    return out


def muted_rules(votes: dict[tuple[str, str], dict[str, int]], repo: str, threshold: int) -> dict[str, dict[str, int]]:
    """Rules muted in ``repo``: at least ``threshold`` down-votes there and more down than up.

    ``threshold`` <= 0 mutes nothing. Returns ``{rule_id: {"up", "down"}}``.
    """
    if threshold <= 0:
        return {}
    return {rule: dict(v) for (r, rule), v in votes.items()
            if r == repo and v["down"] >= threshold and v["down"] > v["up"]}


def rule_stats(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rule: ``rule_id``, ``findings``, ``decisions``, ``repos``, ``up``, ``down``, ``precision``
    (up / (up + down) of the votes, None without votes), ``by_repo`` (``{repo: {findings, up, down}}``)
    and ``muted_in`` (repos with a ``rule_muted`` record). Sorted by findings, then id."""
    records = list(records)
    votes = feedback_votes(records)
    stats: dict[str, dict[str, Any]] = {}

    def entry(rule: str) -> dict[str, Any]:
        return stats.setdefault(rule, {"rule_id": rule, "findings": 0, "decisions": 0, "up": 0, "down": 0,
                                       "by_repo": {}, "muted_in": []})

    for record in records:
        if record.get("kind") == "decision":
            seen: set[str] = set()
            for verdict in record.get("verdicts") or []:
                for finding in verdict.get("findings") or []:
                    rule = finding.get("rule_id")
                    if not rule:
                        continue
                    e = entry(rule)
                    e["findings"] += 1
                    e["by_repo"].setdefault(record.get("repo"), {"findings": 0, "up": 0, "down": 0})["findings"] += 1
                    if rule not in seen:
                        e["decisions"] += 1
                        seen.add(rule)
        elif record.get("kind") == "rule_muted":
            rule = (record.get("details") or {}).get("rule_id")
            if rule and record.get("repo") not in entry(rule)["muted_in"]:
                entry(rule)["muted_in"].append(record.get("repo"))
    for (repo, rule), v in votes.items():
        e = entry(rule)
        e["up"] += v["up"]
        e["down"] += v["down"]
        per = e["by_repo"].setdefault(repo, {"findings": 0, "up": 0, "down": 0})
        per["up"] += v["up"]
        per["down"] += v["down"]
    for e in stats.values():
        n = e["up"] + e["down"]
        e["precision"] = round(e["up"] / n, 3) if n else None
    return sorted(stats.values(), key=lambda e: (-e["findings"], e["rule_id"]))


def compute_stats(records: Iterable[dict[str, Any]], *, top: int = 10) -> dict[str, Any]:
    """The plot series: per ISO week (Monday date, ascending) ``weeks``, ``decisions_by_action``
    (``{action: [counts]}``), ``approval_rate`` (approve / decisions, None for an empty week),
    ``latency_p50_ms`` / ``latency_p95_ms``, ``merges``; plus ``top_holdbacks`` (``[{rule_id,
    count}]`` over non-approve decisions), ``feedback_by_rule`` (``[{rule_id, up, down}]``) and
    ``totals`` (decisions, merges, exceptions, approvals)."""
    records = list(records)
    by_week: dict[str, Counter[str]] = defaultdict(Counter)
    latency: dict[str, list[float]] = defaultdict(list)
    merges: Counter[str] = Counter()
    holdbacks: Counter[str] = Counter()
    totals = Counter()
    for record in records:
        week = _week(record.get("created_at"))
        if week is None:
            continue
        if record.get("kind") == "decision":
            action = str(record.get("action"))
            by_week[week][action] += 1
            totals["decisions"] += 1
            totals["approvals"] += action == "approve"
            ms = review_latency_ms(record)
            if ms is not None:
                latency[week].append(ms)
            if action != "approve":
                holdbacks.update({str(r.get("rule_id")) for r in record.get("reasons") or [] if r.get("rule_id")})
        elif record.get("kind") == "merge":
            merges[week] += 1
            totals["merges"] += 1
    weeks = _all_weeks(set(by_week) | set(merges))
    actions = sorted({a for c in by_week.values() for a in c})
    votes: dict[str, dict[str, int]] = {}
    for (_repo, rule), v in feedback_votes(records).items():
        e = votes.setdefault(rule, {"up": 0, "down": 0})
        e["up"] += v["up"]
        e["down"] += v["down"]
    totals["exceptions"] = len(find_exceptions(records))
    return {
        "weeks": weeks,
        "decisions_by_action": {a: [by_week[w][a] for w in weeks] for a in actions},
        "approval_rate": [round(by_week[w]["approve"] / sum(by_week[w].values()), 4) if by_week[w] else None
                          for w in weeks],
        "latency_p50_ms": [_percentile(latency[w], 50) for w in weeks],
        "latency_p95_ms": [_percentile(latency[w], 95) for w in weeks],
        "merges": [merges[w] for w in weeks],
        "top_holdbacks": [{"rule_id": k, "count": n} for k, n in sorted(holdbacks.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
        "feedback_by_rule": [{"rule_id": k, **v} for k, v in sorted(votes.items())],
        "totals": {k: totals[k] for k in ("decisions", "approvals", "merges", "exceptions")},
    }


def _all_weeks(weeks: set[str]) -> list[str]:
    """Every Monday from the first to the last of ``weeks`` (gaps filled, so plots keep time scale)."""
    if not weeks:
        return []
    first, last = date.fromisoformat(min(weeks)), date.fromisoformat(max(weeks))
    out = []
    day = first
    while day <= last and len(out) < 10_000:
        out.append(day.isoformat())
        day += timedelta(days=7)
    return out
