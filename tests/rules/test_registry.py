"""The rule registry: every id any agent can report is registered once, documented, and its fixture holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.models import Finding, Severity, Status, Verdict
from bot.core.registry import (
    TAGS,
    RegisteredRule,
    Registry,
    UnknownRuleError,
    default_registry,
    load_registry,
    render_docs,
)
from bot.testing.fake_tree import memory_context
from bot.testing.rule_fixtures import run_fixture
from subagents.base import Analysis, SubAgent

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load_registry()
AGENT_RULES = [r for r in REGISTRY.rules if r.fixture is not None and r.fixture.startswith("registry/")]


def test_registry_loads_every_rule_once() -> None:
    ids = [r.id for r in REGISTRY.rules]
    assert len(ids) == len(set(ids))
    assert len([i for i in ids if re.match(r"Q[A-Z]{2}\d{3}$", i)]) == 23  # the anti-pattern catalog
    # ruff's and oxlint's rules (rules/registry/lint.yml); the 11 catalog rules they duplicate are retired
    assert len([i for i in ids if i.startswith("lint/ruff/")]) >= 15
    assert len([i for i in ids if i.startswith("lint/oxlint/")]) >= 25
    for old, new in (("QPY006", "lint/ruff/t100"), ("QJS002", "lint/oxlint/eslint/no-var")):
        assert old in REGISTRY.retired and old not in REGISTRY and new in REGISTRY
    assert not REGISTRY.require("lint/oxlint/eslint/no-var").default_enabled
    for prefix in ("intent/", "safety/", "logic/", "paths/", "lint/"):
        assert any(i.startswith(prefix) for i in ids), prefix
    assert "safety/dangerous-call" not in REGISTRY  # retired: split into one rule per cause
    assert "safety/dangerous-call" in REGISTRY.retired
    assert len(REGISTRY.select("safety/dangerous-call")) == 8


def test_every_rule_is_documented_and_tagged() -> None:
    for r in REGISTRY.rules:
        assert r.docs is not None or r.upstream_url, r.id
        if r.docs is not None:
            for section in (r.docs.what, r.docs.why, r.docs.example, r.docs.use_instead):
                assert section.strip(), r.id
            assert "```" in r.docs.example, r.id
        assert r.tags and all(t in TAGS for t in r.tags), r.id
        assert r.fixture is not None or (r.no_fixture and len(r.no_fixture) > 20), r.id


@pytest.mark.parametrize("rule", AGENT_RULES, ids=[r.id for r in AGENT_RULES])
def test_fixture_holds(rule: RegisteredRule) -> None:
    """Every ``# expect: ID`` line gets a finding of ID, every ``# ok: ID`` line none (and the top-level
    ``expect``/``ok`` lists hold), running the rule's agent over the in-memory tree fake."""
    _, problems = run_fixture(rule)
    assert not problems, "\n".join(problems)


def test_catalog_fixtures_exist() -> None:
    for r in REGISTRY.rules:
        if r.fixture is not None:
            assert (ROOT / "rules" / r.fixture).is_file(), r.fixture


def test_rules_md_is_generated_from_the_registry() -> None:
    committed = (ROOT / "rules" / "RULES.md").read_text(encoding="utf-8")
    assert committed == render_docs(REGISTRY), "regenerate: python -m bot.core.registry --docs > rules/RULES.md"


_LITERAL_RE = re.compile(r"[\"']((?:intent|safety|logic|paths)/[a-z0-9-]+(?:/[a-z0-9-]+)*)[\"']")


def test_every_rule_id_in_the_code_is_registered() -> None:
    """A string literal naming a rule id in the agents or the policy must be a registered id, a
    retired one (kept only as a prefix), or a prefix of registered ids."""
    seen: set[str] = set()
    for path in [*(ROOT / "subagents").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]:
        for m in _LITERAL_RE.finditer(path.read_text(encoding="utf-8")):
            rid = m.group(1)
            seen.add(rid)
            assert rid in REGISTRY or REGISTRY.select(rid), f"{path.relative_to(ROOT)}: unregistered rule id {rid!r}"
    unused = [r.id for r in AGENT_RULES if r.id not in seen]
    assert not unused, f"registered but never reported by any agent: {unused}"


def test_unknown_ids_and_selectors_name_the_nearest_valid_ones() -> None:
    with pytest.raises(UnknownRuleError, match="paths/wide-reach"):
        REGISTRY.check_selector("paths/wide-rech")
    with pytest.raises(UnknownRuleError, match="tag:injection"):
        REGISTRY.check_selector("tag:injecton")
    with pytest.raises(UnknownRuleError, match="did you mean"):
        REGISTRY.require("logic/removed-gaurd")
    assert REGISTRY.check_selector("logic/") == "logic/"
    assert REGISTRY.check_selector("tag:secret") == "tag:secret"
    assert REGISTRY.check_selector("safety/dangerous-call") == "safety/dangerous-call"


def test_selection_is_by_id_prefix_or_tag_never_substring() -> None:
    assert REGISTRY.selects("tag:injection", "safety/prompt-injection")
    assert not REGISTRY.selects("tag:injection", "safety/hidden-unicode")
    assert REGISTRY.selects("tag:hidden-text", "safety/hidden-unicode")
    assert REGISTRY.selects("safety/dangerous-call", "safety/dangerous-call/shell-true")
    assert not REGISTRY.selects("safety/dangerous", "safety/dangerous-call/shell-true")  # no substring
    assert not REGISTRY.selects("injection", "safety/prompt-injection")
    assert REGISTRY.selects("logic/", "logic/removed-guard")
    assert {r.id for r in REGISTRY.with_tag("secret")} == {"safety/secret", "safety/private-key"}


def test_shell_true_and_sql_strings_are_different_rules() -> None:
    sql = REGISTRY.require("safety/dangerous-call/sql-string")
    shell = REGISTRY.require("safety/dangerous-call/shell-true")
    assert sql.id != shell.id and "sql" in sql.tags and "shell" in shell.tags
    assert REGISTRY.same_cause("safety/dangerous-call/shell-command", "QPY017")
    assert REGISTRY.same_cause("QPY017", "safety/dangerous-call/shell-command")


def test_registry_refuses_duplicates_retired_ids_and_unknown_tags() -> None:
    rule = REGISTRY.require("logic/removed-guard")
    with pytest.raises(ValueError, match="duplicate"):
        Registry([rule, rule])
    with pytest.raises(ValueError, match="retired"):
        Registry([rule.model_copy(update={"id": "safety/dangerous-call"})], retired=["safety/dangerous-call"])
    with pytest.raises(ValueError, match="did you mean secret"):
        RegisteredRule(id="safety/x", agent="safety", severity="major", tags=["secrt"], summary="s",
                       upstream_url="https://example.invalid", no_fixture="an external rule with no fixture here")
    with pytest.raises(ValueError, match="fixture"):
        RegisteredRule(id="safety/x", agent="safety", severity="major", tags=["secret"], summary="s",
                       upstream_url="https://example.invalid")


def test_external_rule_registered_from_code() -> None:
    """How an external linter's rules join (docs/rules.md): a new Registry with the extra entries."""
    extra = RegisteredRule(id="anti_patterns/ruff-f821", agent="anti_patterns", severity="major", tags=["lint"],
                           languages=("python",), summary="Undefined name (ruff F821).",
                           upstream_url="https://docs.astral.sh/ruff/rules/undefined-name/",
                           no_fixture="an external linter's rule: its upstream test suite covers it")
    reg = Registry([*default_registry().rules, extra], retired=default_registry().retired)
    assert reg.require("anti_patterns/ruff-f821").upstream_url
    assert "anti_patterns/ruff-f821" not in default_registry()


class _Rogue(SubAgent):
    name = "logic"

    def analyze(self, ctx):  # noqa: ANN001, ANN201
        return Analysis(findings=[Finding.make(rule_id="logic/made-up", agent="logic", severity=Severity.minor,
                                               message="x")])


def test_an_unregistered_rule_id_is_an_error_at_run_time() -> None:
    from bot.pipeline import run_agents

    ctx = memory_context({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with pytest.raises(UnknownRuleError, match="logic/made-up"):
        _Rogue().review(ctx)
    (verdict,) = run_agents(ctx, [_Rogue()], {"logic": 5.0})
    assert isinstance(verdict, Verdict) and verdict.status is Status.abstain
    assert "logic/made-up" in (verdict.error or "")
