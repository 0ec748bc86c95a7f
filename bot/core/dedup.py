"""One finding per cause and line: merge findings of rules that declare the same cause.

Two agents may see one defect through different rules: ``os.system(cmd)`` is both the
anti-pattern ``QPY017`` and the safety rule ``safety/dangerous-call/shell-command``. The registry
records that (``same_cause`` in a rule's entry); :func:`merge_same_cause` keeps one finding per
(path, line, cause), the more severe one (on a tie, the one of the earlier verdict), and lists the
other rule ids in its ``same_cause`` field and message. The dropped finding's verdict keeps its
status and risk (never laxer) and gets a note naming where the finding went. Pure.
"""

from __future__ import annotations

from bot.core.models import Finding, Verdict
from bot.core.registry import Registry


def merge_same_cause(verdicts: list[Verdict], registry: Registry) -> list[Verdict]:
    """Return ``verdicts`` with same-cause findings on the same path and line merged (new objects
    where something changed; the input is not modified)."""
    located = [(vi, fi, f) for vi, v in enumerate(verdicts) for fi, f in enumerate(v.findings)
               if f.path is not None and f.line is not None and registry.get(f.rule_id) is not None]
    by_line: dict[tuple[str, int], list[tuple[int, int, Finding]]] = {}
    for item in located:
        by_line.setdefault((item[2].path or "", item[2].line or 0), []).append(item)
    dropped: dict[tuple[int, int], str] = {}
    merged: dict[tuple[int, int], list[str]] = {}
    for group in by_line.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda t: (-t[2].severity.rank, t[0], t[1]))
        for i, (vi, fi, keep) in enumerate(group):
            if (vi, fi) in dropped:
                continue
            for vj, fj, other in group[i + 1:]:
                if (vj, fj) in dropped or other.rule_id == keep.rule_id:
                    continue
                if registry.same_cause(keep.rule_id, other.rule_id):
                    dropped[(vj, fj)] = f"{other.rule_id} at {other.path}:{other.line} reported as {keep.id} ({keep.rule_id}): same cause"
                    merged.setdefault((vi, fi), []).append(other.rule_id)
    if not dropped:
        return verdicts
    out: list[Verdict] = []
    for vi, v in enumerate(verdicts):
        findings: list[Finding] = []
        notes = list(v.notes)
        for fi, f in enumerate(v.findings):
            if (vi, fi) in dropped:
                notes.append(dropped[(vi, fi)])
                continue
            also = merged.get((vi, fi))
            if also:
                f = f.model_copy(update={"same_cause": [*f.same_cause, *also],
                                         "message": f"{f.message} (also {', '.join(also)})"})
            findings.append(f)
        out.append(v if len(findings) == len(v.findings) and not merged.keys() & {(vi, i) for i in range(len(v.findings))}
                   else v.model_copy(update={"findings": findings, "notes": notes}))
    return out


__all__ = ["merge_same_cause"]
