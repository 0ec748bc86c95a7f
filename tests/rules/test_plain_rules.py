"""The catalog and registry dataclasses check what the pydantic models that loaded them checked
(:mod:`tests.rules.pydantic_reference`): every packaged file gives the same values both ways, and
bad input is refused both ways."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core import catalog, registry
from bot.core.yamldata import safe_load
from tests.rules import pydantic_reference as ref


def _plain(value: Any) -> Any:
    """Dataclass or pydantic values as plain data (tuples kept, enums kept)."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return asdict(value)


def test_every_packaged_catalog_file_gives_what_pydantic_gave() -> None:
    files = catalog._rule_files(catalog.default_root())
    assert len(files) > 20
    for where, item in files:
        data = safe_load(item.read_text(encoding="utf-8"))
        assert _plain(catalog.Rule(**data)) == _plain(ref.Rule.model_validate(data)), where


def test_every_registered_rule_is_what_pydantic_makes_of_it() -> None:
    rules = registry.load_registry().rules
    assert len(rules) > 150
    for rule in rules:
        values = asdict(rule)
        assert _plain(ref.RegisteredRule.model_validate(values)) == values, rule.id


def test_every_packaged_registry_file_gives_what_pydantic_gave() -> None:
    root = registry.registry_root()
    seen = 0
    for agent_dir in root.iterdir():
        if not agent_dir.is_dir() or agent_dir.name.startswith((".", "_")):
            continue
        for item in agent_dir.iterdir():
            if item.name.endswith(".yml") and not item.name.endswith(".fixture.yml"):
                data = safe_load(item.read_text(encoding="utf-8"))
                data.setdefault("fixture", "x.fixture.yml")
                assert _plain(registry.RegisteredRule(**data)) == _plain(ref.RegisteredRule.model_validate(data)), item.name
                seen += 1
    assert seen > 50


GOOD_RULE: dict[str, Any] = {
    "id": "QPY901", "name": "demo-rule", "language": "python", "severity": "minor", "message": "Demo.",
    "query": "(global_statement) @match",
    "docs": {"what": "w", "why": "y", "example": "```python\nglobal x\n```", "use_instead": "Do not.\n```python\nx=1\n```"},
}

BAD_RULES = [
    {"id": "QPY9"}, {"name": "Demo_Rule"}, {"severity": "huge"}, {"message": ""}, {"message": 3},
    {"query": "(identifier) @other"}, {"language": "cobol"}, {"language": None}, {"languages": ["python"]},
    {"surprise": 1}, {"docs": {"what": "w"}}, {"docs": {**GOOD_RULE["docs"], "why": "  "}},
    {"docs": {**GOOD_RULE["docs"], "use_instead": "```python\nx\n```"}}, {"where": {"not_match": {"x": "("}}},
    {"where": {"nope": True}}, {"where": {"function_name_not_match": "["}}, {"skip_paths": "a/*"},
    {"skip_tests": "yes please"}, {"where": {"inside": "call"}},
]
"""(A regex that does not compile raises ``re.error`` both ways, as pydantic let it through.)"""


@pytest.mark.parametrize("change", BAD_RULES)
def test_bad_catalog_rules_are_refused_both_ways(change: dict[str, Any]) -> None:
    data = {**GOOD_RULE, **change}
    with pytest.raises((ValidationError, re.error)):
        ref.Rule.model_validate(data)
    with pytest.raises((TypeError, ValueError, re.error)):
        catalog.Rule(**data)


GOOD_ENTRY: dict[str, Any] = {"id": "safety/x", "agent": "safety", "severity": "major", "tags": ["secret"],
                              "summary": "s", "upstream_url": "https://example.invalid", "no_fixture": "none can exist"}

BAD_ENTRIES = [
    {"id": "Safety X"}, {"agent": "nobody"}, {"severity": "huge"}, {"tags": []}, {"tags": ["secrt"]},
    {"tags": "secret"}, {"summary": ""}, {"upstream_url": None}, {"no_fixture": None}, {"extra": 1},
    {"same_cause": "logic/x"}, {"quiet": 2}, {"docs": {"what": "w"}},
]
"""(Booleans are stricter than pydantic's lax mode, which took ``"no"``: the packaged files hold YAML booleans.)"""


@pytest.mark.parametrize("change", BAD_ENTRIES)
def test_bad_registry_entries_are_refused_both_ways(change: dict[str, Any]) -> None:
    data = {**GOOD_ENTRY, **change}
    with pytest.raises(ValidationError):
        ref.RegisteredRule.model_validate(data)
    with pytest.raises((TypeError, ValueError)):
        registry.RegisteredRule(**data)


def test_good_input_is_equal_both_ways() -> None:
    assert _plain(catalog.Rule(**GOOD_RULE)) == _plain(ref.Rule.model_validate(GOOD_RULE))
    assert _plain(registry.RegisteredRule(**GOOD_ENTRY)) == _plain(ref.RegisteredRule.model_validate(GOOD_ENTRY))
