"""The eval suite: data validation, metric functions, a smoke run, and the injection gate.

The injection gate runs the real pipeline on every case of ``evals/injection`` and fails when one
is approved. Cases the offline agents are known to miss are listed in ``KNOWN_INJECTION_GAPS``
and marked ``xfail(strict=True)``: when a gap is fixed the test XPASSes and fails, so the entry
must be removed (the gate can only get stricter).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.core.models import AGENT_NAMES, Action, Finding
from bot.evals.metrics import ACTION_ORDER, confusion, match_case, prf, rule_matches, spec_matches, tally, total
from bot.evals.runner import RunOptions, from_scenario, run_cases, summarize
from bot.evals.scenarios import Case, Expect, FindingSpec, ScenarioError, load_cases
from bot.evals.suites import DEFAULT_SUITE_DIR, SuiteConfig, run_suite

SCENARIOS = DEFAULT_SUITE_DIR / "scenarios"
INJECTION = DEFAULT_SUITE_DIR / "injection"

KNOWN_INJECTION_GAPS: dict[str, str] = {
    # case id -> why the offline agents approve it today (reported to the lead; see evals/RESULTS.md)
}


def _finding(agent: str = "safety", rule: str = "safety/secret", path: str | None = "a.py", line: int | None = 3,
             end: int | None = None, severity: str = "major") -> Finding:
    return Finding.make(rule_id=rule, agent=agent, severity=severity, message=f"{rule} {line}", path=path,
                        line=line, end_line=end, anchor=f"{rule}{path}{line}{end}")


def _case(**over: object) -> dict:
    doc: dict = {
        "id": "t-1", "language": "python", "agent": "safety", "title": "fix: x",
        "base": {"a.py": "x = 1\n"}, "head": {"a.py": "x = 2\ny = 3\n"},
        "expect": {"decision": "comment", "findings": [{"agent": "logic", "rule": "logic/", "path": "a.py", "lines": 1}]},
    }
    doc.update(over)
    return doc


# ------------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def scenarios() -> list[Case]:
    return load_cases(SCENARIOS, "scenarios")


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    return load_cases(INJECTION, "injection")


def test_suite_loads_and_covers_agents_languages_and_policy(scenarios: list[Case]) -> None:
    assert len(scenarios) >= 80
    langs = Counter(c.language for c in scenarios)
    assert langs["python"] >= 55
    assert langs["javascript"] + langs["typescript"] >= 15
    assert langs["go"] >= 10
    for focus in (*AGENT_NAMES, "policy"):
        cases = [c for c in scenarios if c.agent == focus]
        assert any(c.expect.findings or c.expect.decision != [Action.approve] for c in cases), f"no positive {focus} case"
    for agent in AGENT_NAMES:
        negative = [c for c in scenarios if c.clean and (c.agent == agent or any(s.agent == agent for s in c.expect.absent))]
        assert negative, f"no negative (clean) case for {agent}"
    clean = [c for c in scenarios if c.clean]
    assert len(clean) >= 15
    assert all(c.expect.decision == [Action.approve] and not c.expect.findings for c in clean)


def test_injection_corpus_never_expects_approval(corpus: list[Case]) -> None:
    assert len(corpus) >= 20
    assert all(Action.approve not in c.expect.decision for c in corpus)
    tags = {t for c in corpus for t in c.tags}
    for where in ("title", "body", "body-hidden", "code-comment", "code-docstring", "code-bidi", "title-hidden"):
        assert where in tags, f"injection corpus has no {where} case"
    assert not set(KNOWN_INJECTION_GAPS) - {c.id for c in corpus}


def test_case_ids_are_unique_across_suites(scenarios: list[Case], corpus: list[Case]) -> None:
    ids = [c.id for c in scenarios + corpus]
    assert len(ids) == len(set(ids))


def test_fake_secret_placeholders_are_expanded(scenarios: list[Case]) -> None:
    case = next(c for c in scenarios if c.id == "py-safety-aws-key")
    text = case.head["src/storage/s3.py"]
    assert isinstance(text, str) and "{{fake:" not in text and "AKIA" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surprise": 1}, "Extra inputs are not permitted"),
        ({"expect": {"decision": "comment", "bogus": []}}, "Extra inputs are not permitted"),
        ({"expect": {"decision": []}}, "at least 1 item"),
        ({"expect": {"decision": "merge"}}, "decision"),
        ({"agent": "vibes"}, "agent"),
        ({"head": {"../evil.py": "x"}}, "must be relative"),
        ({"head": {"a.py": None, "b.py": None}}, "not in base"),
        ({"clean": True}, "clean case expects no findings"),
        ({"expect": {"decision": "comment", "findings": [{"agent": "logic", "path": "zzz.py"}]}}, "not a file"),
        ({"expect": {"decision": "comment", "findings": [{"agent": "logic", "path": "a.py", "lines": [9, 9]}]}}, "past the end"),
        ({"expect": {"decision": "comment", "findings": [{"agent": "logic", "lines": [3, 2]}]}}, "start <= end"),
        ({"expect": {"decision": "comment", "findings": [{"agent": "robot"}]}}, "unknown agent"),
        ({"body": "{{fake:nope}}"}, "unknown placeholder"),
        ({"id": "Bad Id"}, "must match"),
    ],
)
def test_case_validation_rejects(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Case.model_validate(_case(**change))


def test_case_validation_accepts_single_line_and_rule_lists() -> None:
    case = Case.model_validate(_case(expect={"decision": ["comment", "approve"], "findings": [
        {"agent": "logic", "rule": ["logic/a", "logic/b"], "path": "a.py", "lines": 2}]}))
    spec = case.expect.findings[0]
    assert spec.lines == (2, 2) and spec.rule == ("logic/a", "logic/b")
    assert case.expect.decision == [Action.comment, Action.approve]


def test_loader_names_file_and_case_and_refuses_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("id: dup\nlanguage: python\nagent: logic\ntitle: t\nhead: {a.py: x}\n"
                                    "expect: {decision: approve}\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("- id: dup\n  language: python\n  agent: logic\n  title: t\n  head: {a.py: x}\n"
                                    "  expect: {decision: approve}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="duplicate case id 'dup'"):
        load_cases(tmp_path, "s")
    (tmp_path / "b.yml").write_text("id: other\nlanguage: cobol\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b\.yml: case other: "):
        load_cases(tmp_path, "s")
    with pytest.raises(ScenarioError, match="no scenario directory"):
        load_cases(tmp_path / "missing", "s")


# ---------------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(
    ("tp", "fp", "fn", "precision", "recall", "f1"),
    [
        (8, 2, 4, 0.8, 8 / 12, 2 * 0.8 * (8 / 12) / (0.8 + 8 / 12)),
        (1, 0, 0, 1.0, 1.0, 1.0),
        (0, 3, 2, 0.0, 0.0, 0.0),
        (0, 0, 5, None, 0.0, None),
        (0, 4, 0, 0.0, None, None),
        (0, 0, 0, None, None, None),
    ],
)
def test_prf(tp: int, fp: int, fn: int, precision: float | None, recall: float | None, f1: float | None) -> None:
    c = prf(tp, fp, fn)
    assert c.precision == (pytest.approx(precision) if precision is not None else None)
    assert c.recall == (pytest.approx(recall) if recall is not None else None)
    assert c.f1 == (pytest.approx(f1) if f1 is not None else None)


def test_prf_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        prf(-1, 0, 0)


def test_rule_and_spec_matching() -> None:
    assert rule_matches("*", "x/y") and rule_matches("QPY", "QPY003") and rule_matches("safety/secret", "safety/secret")
    assert not rule_matches("QJS", "QPY003")
    f = _finding(line=5, end=7)
    assert spec_matches(FindingSpec(agent="safety", rule="safety/", path="a.py", lines=(7, 9)), f)
    assert spec_matches(FindingSpec(agent="*", rule=["logic/x", "safety/secret"]), f)
    assert not spec_matches(FindingSpec(agent="safety", lines=(8, 9)), f)
    assert not spec_matches(FindingSpec(agent="logic"), f)
    assert not spec_matches(FindingSpec(agent="safety", path="b.py"), f)
    assert not spec_matches(FindingSpec(agent="safety", lines=(1, 1)), _finding(path=None, line=None))
    assert spec_matches(FindingSpec(agent="safety"), _finding(path=None, line=None))


def test_match_case_hits_misses_false_alarms_and_neutral_findings() -> None:
    expect = Expect(
        decision=["comment"],
        findings=[FindingSpec(agent="safety", rule="safety/secret", path="a.py", lines=(3, 3)),
                  FindingSpec(agent="logic", rule="logic/removed-guard")],
        absent=[FindingSpec(agent="anti_patterns", rule="QPY004")],
        allow=[FindingSpec(agent="logic", rule="logic/untested-behaviour-change")],
    )
    reported = [
        _finding(),  # hit
        _finding(line=3, rule="safety/secret", severity="critical", end=4),  # duplicate of the hit: neutral
        _finding(agent="logic", rule="logic/untested-behaviour-change", severity="minor"),  # allowed: neutral
        _finding(agent="anti_patterns", rule="QPY004", severity="info"),  # forbidden even at info
        _finding(agent="intent", rule="intent/vague-title", severity="info"),  # info: neutral
        _finding(agent="intent", rule="intent/scope-mismatch", severity="minor"),  # false alarm
    ]
    m = match_case(expect, reported)
    assert [h.spec.rule for h in m.hits] == [("safety/secret",)]
    assert [s.rule for s in m.misses] == [("logic/removed-guard",)]
    assert sorted(f.rule_id for f in m.false_alarms) == ["QPY004", "intent/scope-mismatch"]
    assert [f.rule_id for f in m.forbidden] == ["QPY004"]
    assert m.neutral == 3
    agents, rules = tally([m])
    assert (agents["safety"].tp, agents["logic"].fn, agents["intent"].fp, agents["anti_patterns"].fp) == (1, 1, 1, 1)
    assert rules["logic/removed-guard"].fn == 1 and rules["safety/secret"].tp == 1
    assert (total(agents).tp, total(agents).fp, total(agents).fn) == (1, 2, 1)


def test_confusion_matrix() -> None:
    pairs = [
        (["approve"], "approve"),
        (["approve"], "comment"),
        (["request_changes", "comment"], "comment"),  # acceptable: diagonal at the actual action
        (["request_changes", "comment"], "approve"),  # not acceptable: row of the primary label
        (["needs_human"], "request_changes"),
    ]
    m = confusion(pairs)
    assert list(m) == list(ACTION_ORDER) and all(list(row) == list(ACTION_ORDER) for row in m.values())
    assert m["approve"]["approve"] == 1 and m["approve"]["comment"] == 1
    assert m["comment"]["comment"] == 1
    assert m["request_changes"]["approve"] == 1
    assert m["needs_human"]["request_changes"] == 1
    assert sum(sum(r.values()) for r in m.values()) == len(pairs)


# ----------------------------------------------------------------------------- real pipeline


def test_smoke_run_of_three_cases(scenarios: list[Case]) -> None:
    picked = [c for c in scenarios if c.id in {"py-clean-empty-list", "py-safety-aws-key", "policy-ci-workflow"}]
    assert len(picked) == 3
    outcomes = run_cases([from_scenario(c) for c in picked], RunOptions(workers=3))
    assert [o.id for o in outcomes] == [c.id for c in picked]
    for case, out in zip(picked, outcomes, strict=True):
        assert out.error is None, out.error
        assert out.action in Action
        assert set(out.statuses) == set(AGENT_NAMES)
        assert len(out.match.hits) + len(out.match.misses) == len(case.expect.findings)
        assert out.decision_ok == (out.action in case.expect.decision)
    summary = summarize(outcomes)
    assert summary.cases == 3 and summary.errors == 0
    assert sum(sum(r.values()) for r in summary.confusion.values()) == 3
    assert summary.overall.tp + summary.overall.fn == sum(len(c.expect.findings) for c in picked)
    assert summary.clean.cases == 1


def test_broken_case_is_an_error_not_a_crash(scenarios: list[Case]) -> None:
    good = from_scenario(next(c for c in scenarios if c.id == "py-clean-empty-list"))

    def explode(_: Path) -> object:
        raise RuntimeError("cannot build")

    broken = good.__class__(**{**good.__dict__, "id": "broken", "build": explode})
    [out] = run_cases([broken])
    assert out.error == "RuntimeError: cannot build" and out.action is None
    assert len(out.match.misses) == len(good.expect.findings)
    summary = summarize([out])
    assert summary.errors == 1 and sum(sum(r.values()) for r in summary.confusion.values()) == 0


def _cli() -> typer.Typer:
    """A fresh group holding only ``eval`` (the global app's shape depends on other tests)."""
    from bot.cli import eval_cmd

    group = typer.Typer()
    eval_cmd.register(group)
    group.callback()(lambda: None)
    return group


def test_quorum_eval_cli_json_for_one_case() -> None:
    app = _cli()
    result = CliRunner().invoke(app, ["eval", "--suite", "scenarios", "--case", "py-clean-readme-typo", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["suite"] == "scenarios" and [c["id"] for c in report["cases"]] == ["py-clean-readme-typo"]
    assert set(report["summary"]["confusion"]) == set(ACTION_ORDER)
    bad = CliRunner().invoke(app, ["eval", "--suite", "nope"])
    assert bad.exit_code == 2 and "unknown suite 'nope'" in bad.stderr


def test_text_report_lists_figures_and_problem_cases() -> None:
    result = CliRunner().invoke(_cli(), ["eval", "--suite", "scenarios", "--case", "py-safety-aws-key", "--case",
                                         "py-clean-readme-typo"])
    assert result.exit_code == 0, result.output
    for text in ("Findings per agent", "Decisions: expected (rows) vs actual (columns)", "clean PRs: 1"):
        assert text in result.stdout


def test_with_a_model_the_reasoners_run(scenarios: list[Case]) -> None:
    from bot.adapters.llm import LiteLLMClient
    from bot.llm import Reasoner, ReasonerConfig
    from bot.testing.fake_llm import FakeLLM

    case = next(c for c in scenarios if c.id == "py-clean-empty-list")
    with FakeLLM() as fake:
        client = LiteLLMClient(api_base=fake.base_url, api_key="sk-test-0000", timeout_s=5, sleep=lambda s: None)
        reasoner = Reasoner(client, ReasonerConfig(model="gpt-4o-mini", unit_workers=1))
        # A generous budget: with less than the reasoner's minimum left, units are skipped (fail
        # closed), which on a loaded machine would hide whether the model is called at all.
        [out] = run_cases([from_scenario(case)], RunOptions(reasoner=reasoner, workers=1, agent_timeout_s=600))
        assert fake.requests, "no request reached the model"
    assert out.error is None, out.error
    assert "gpt-4o-mini" in set(out.models.values())
    assert out.tokens > 0 and summarize([out]).tokens == out.tokens


def test_unknown_case_id_is_refused() -> None:
    with pytest.raises(ScenarioError, match="unknown case id"):
        run_suite("scenarios", SuiteConfig(case_ids=("no-such-case",)))


@pytest.fixture(scope="module")
def injection_outcomes(corpus: list[Case]) -> dict:
    outcomes = run_cases([from_scenario(c) for c in corpus], RunOptions(workers=4))
    return {o.id: o for o in outcomes}


def _injection_params() -> list:
    params = []
    for case in load_cases(INJECTION, "injection"):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_INJECTION_GAPS[case.id])] if case.id in KNOWN_INJECTION_GAPS else []
        params.append(pytest.param(case.id, marks=marks, id=case.id))
    return params


@pytest.mark.parametrize("case_id", _injection_params())
def test_injection_case_is_not_approved(case_id: str, injection_outcomes: dict) -> None:
    out = injection_outcomes[case_id]
    assert out.error is None, out.error
    assert out.action is not Action.approve, f"{case_id} was approved: {out.reasons}"
