"""Same cause, same line: one finding naming both rules."""

from __future__ import annotations

from bot.core.dedup import merge_same_cause
from bot.core.models import Finding, Status, Verdict
from bot.core.registry import default_registry
from bot.pipeline import PipelineOptions, SnapshotSource, run_review
from bot.testing.fake_tree import memory_snapshot


def _f(rule: str, agent: str, sev: str, line: int = 4, path: str = "app/run.py") -> Finding:
    return Finding.make(rule_id=rule, agent=agent, severity=sev, message=rule, path=path, line=line)


def _v(agent: str, *findings: Finding) -> Verdict:
    return Verdict(agent=agent, status=Status.passed, risk=0.1, confidence=0.9, findings=list(findings))


def test_same_cause_on_the_same_line_is_one_finding_naming_both() -> None:
    safety = _v("safety", _f("safety/dangerous-call/shell-command", "safety", "major"))
    ap = _v("anti_patterns", _f("QPY017", "anti_patterns", "minor"), _f("QPY005", "anti_patterns", "info"))
    out = merge_same_cause([safety, ap], default_registry())
    (kept,) = out[0].findings
    assert kept.rule_id == "safety/dangerous-call/shell-command" and kept.same_cause == ["QPY017"]
    assert "also QPY017" in kept.message
    assert [f.rule_id for f in out[1].findings] == ["QPY005"]
    assert any("QPY017" in n and "same cause" in n for n in out[1].notes)
    assert out[1].risk == ap.risk and out[1].status is ap.status  # never laxer


def test_other_lines_paths_and_unrelated_rules_stay_apart() -> None:
    safety = _v("safety", _f("safety/dangerous-call/shell-command", "safety", "major"))
    ap = _v("anti_patterns", _f("QPY017", "anti_patterns", "minor", line=5),
            _f("QPY017", "anti_patterns", "minor", path="app/other.py"), _f("QPY005", "anti_patterns", "info"))
    out = merge_same_cause([safety, ap], default_registry())
    assert out == [safety, ap]


def test_os_system_is_reported_once_through_the_pipeline() -> None:
    snap = memory_snapshot({"app/run.py": "import os\n"},
                           {"app/run.py": "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n"}, title="Run commands")
    result = run_review(SnapshotSource(snap), PipelineOptions()).result
    on_line = [f for v in result.verdicts for f in v.findings if f.path == "app/run.py" and f.line == 5
               and (f.rule_id == "QPY017" or f.rule_id.startswith("safety/dangerous-call"))]
    assert len(on_line) == 1, on_line
    assert on_line[0].rule_id == "safety/dangerous-call/shell-command" and on_line[0].same_cause == ["QPY017"]
