"""The check framework against the registry: every agent rule has exactly one check, every check's
ids are registered, and every check is exercised by its rules' fixtures."""

from __future__ import annotations

import time

import pytest
from structlog.testing import capture_logs

from bot.core.models import AGENT_NAMES, Finding, Severity, Status
from bot.core.registry import LINT_PREFIX, RegisteredRule, load_registry
from bot.pipeline import run_agents
from bot.testing.fake_tree import memory_context
from bot.testing.rule_fixtures import run_check_fixture
from subagents.framework import Check, CheckedAgent, CheckResult, discover
from subagents.view import CheckView

REGISTRY = load_registry()

MIGRATED = ("intent", "safety", "logic", "anti_patterns", "execution_paths")
"""Agents made of checks (``subagents/checks/<agent>/``)."""
NOT_YET: tuple[str, ...] = ()
"""Agents whose checks still live inside the agent module. This list may only shrink."""

CHECKS = [c for agent in MIGRATED for c in discover(agent)]


def _own(rule: RegisteredRule) -> bool:
    """A rule an agent's own code reports: not an external linter's, not the LLM reasoner's."""
    return not rule.id.startswith(LINT_PREFIX) and "llm" not in rule.tags


def test_every_agent_is_made_of_checks_or_listed_as_not_yet() -> None:
    assert sorted(MIGRATED + NOT_YET) == sorted(AGENT_NAMES)
    for agent in NOT_YET:
        with pytest.raises(ModuleNotFoundError):
            discover(agent)


def test_every_registered_agent_rule_is_declared_by_exactly_one_check() -> None:
    for rule in REGISTRY.rules:
        if rule.agent not in MIGRATED or not _own(rule):
            continue
        owners = [f"{c.agent}/{c.name}" for c in CHECKS if c.declares(rule.id)]
        assert len(owners) == 1, f"{rule.id} is declared by {owners or 'no check'}"


def test_every_declared_id_is_registered_for_the_checks_agent() -> None:
    for check in CHECKS:
        assert check.rules or check.rule_prefixes, check.name
        for rule_id in check.rules:
            rule = REGISTRY.get(rule_id)
            assert rule is not None, f"{check.agent}/{check.name} declares unregistered {rule_id}"
            assert rule.agent == check.agent, f"{rule_id} belongs to {rule.agent}, not {check.agent}"
        for prefix in check.rule_prefixes:
            below = [r for r in REGISTRY.rules if r.id.startswith(prefix)]
            assert below and all(r.agent == check.agent for r in below), (check.name, prefix)


def _rules_of(check: Check) -> list[RegisteredRule]:
    return [r for r in REGISTRY.rules if check.declares(r.id)]


@pytest.mark.parametrize("check", CHECKS, ids=[f"{c.agent}/{c.name}" for c in CHECKS])
def test_every_check_has_the_fixtures_of_its_rules(check: Check) -> None:
    rules = _rules_of(check)
    for rule in rules:
        assert rule.fixture is not None or (rule.no_fixture and len(rule.no_fixture) > 20), rule.id
    assert any(r.fixture is not None for r in rules), f"{check.name}: no rule of this check has a fixture"


@pytest.mark.parametrize("check", CHECKS, ids=[f"{c.agent}/{c.name}" for c in CHECKS])
def test_the_fixtures_exercise_each_check(check: Check) -> None:
    """Run the check alone on each of its rules' fixtures (the linters' and the catalog's: the
    first three, to stay quick): it must report that rule there."""
    rules = [r for r in _rules_of(check) if r.fixture is not None]
    if check.rule_prefixes or check.name == "catalog":
        rules = rules[:3]
    for rule in rules:
        found = run_check_fixture(check, rule)
        assert any(f.rule_id == rule.id for f in found), (
            f"{check.name} did not report {rule.id} on its fixture {rule.fixture}: {[f.rule_id for f in found]}")


# ------------------------------------------------------------------------- the framework's guarantees


def _rogue(view: CheckView) -> list[Finding]:
    return [Finding.make(rule_id="logic/removed-guard", agent="safety", severity=Severity.minor, message="x")]


class _RogueAgent(CheckedAgent):
    name = "safety"

    def checks(self) -> list[Check]:
        return [Check(name="rogue", agent="safety", rules=("safety/secret",), run=_rogue)]


def test_an_undeclared_rule_id_abstains_and_is_logged() -> None:
    ctx = memory_context({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with capture_logs() as logs:
        (verdict,) = run_agents(ctx, [_RogueAgent()], {"safety": 5.0})
    assert verdict.status is Status.abstain
    assert "safety/rogue" in (verdict.error or "") and "logic/removed-guard" in (verdict.error or "")
    assert any(e.get("check") == "rogue" and e.get("log_level") == "error" for e in logs)


class _TwoChecks(CheckedAgent):
    name = "safety"
    ran: list[str]

    def __init__(self) -> None:
        self.ran = []

    def checks(self) -> list[Check]:
        def first(view: CheckView) -> CheckResult:
            self.ran.append("first")
            return CheckResult()

        def second(view: CheckView) -> CheckResult:
            self.ran.append("second")
            return CheckResult()

        return [Check(name="first", agent="safety", rules=("safety/secret",), run=first, order=1),
                Check(name="second", agent="safety", rules=("safety/private-key",), run=second, order=2)]


def test_the_deadline_stops_the_remaining_checks_and_truncates() -> None:
    ctx = memory_context({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    agent = _TwoChecks()
    assert not agent.analyze(ctx).truncated and agent.ran == ["first", "second"]
    ctx.deadline = time.monotonic() - 1
    late = _TwoChecks()
    analysis = late.analyze(ctx)
    assert late.ran == [] and analysis.truncated
    assert any("check first" in n for n in analysis.notes)


def test_a_check_for_other_languages_is_skipped() -> None:
    ran: list[str] = []

    def go_only(view: CheckView) -> list[Finding]:
        ran.append("go")
        return []

    class _GoAgent(CheckedAgent):
        name = "safety"

        def checks(self) -> list[Check]:
            return [Check(name="go", agent="safety", rules=("safety/secret",), run=go_only, languages=("go",))]

    _GoAgent().analyze(memory_context({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}))
    assert ran == []
    _GoAgent().analyze(memory_context({"a.go": "package a\n"}, {"a.go": "package a\n\nvar x = 1\n"}))
    assert ran == ["go"]


def test_checks_run_in_declared_order() -> None:
    names = [c.name for c in discover("intent")]
    assert names.index("type_mismatch") < names.index("claims")  # claims skips files type_mismatch reported
