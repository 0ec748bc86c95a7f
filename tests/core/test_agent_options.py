"""Agent options built without pydantic (plain selector lists) equal the pydantic models'
validation (:mod:`bot.core.agent_options_schema`); anything else goes through pydantic."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.core.agent_options import OPTION_CLASSES, SafetyOptions, parse_options
from bot.core.agent_options_schema import OPTION_MODELS, validate_options

GOOD = [
    ("logic", {}),
    ("logic", {"disable": "tag:tests"}),
    ("logic", {"disable": [" logic/removed-guard ", "logic/"], "enable": []}),
    ("anti_patterns", {"disable": ("QPY016",), "enable": ["QPY005"]}),
    ("safety", {"sensitive_categories": ["ci", "auth"]}),
    ("safety", {"sensitive_categories": None, "disable": ["safety/dangerous-call"]}),
]


@pytest.mark.parametrize(("agent", "raw"), GOOD)
def test_plain_options_equal_the_schema(agent: str, raw: dict) -> None:
    assert parse_options(agent, raw).model_dump() == validate_options(agent, raw)


BAD = [
    ("anti_patterns", {"disabled": ["QPY016"]}, "unknown option"),
    ("logic", {"disable": ["logic/removed-gaurd"]}, "did you mean"),
    ("logic", {"disable": 3}, "disable"),
    ("safety", {"sensitive_categories": "ci"}, "sensitive_categories"),
]


@pytest.mark.parametrize(("agent", "raw", "message"), BAD)
def test_bad_options_fail_with_the_schema_message(agent: str, raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as plain:
        parse_options(agent, raw)
    with pytest.raises(ValueError) as schema:
        validate_options(agent, raw)
    assert str(plain.value) == str(schema.value)


def test_classes_and_models_have_the_same_fields() -> None:
    assert set(OPTION_CLASSES) == set(OPTION_MODELS)
    for agent, cls in OPTION_CLASSES.items():
        assert [f.name for f in fields(cls)] == list(OPTION_MODELS[agent].model_fields), agent
    assert isinstance(parse_options("safety", {}), SafetyOptions)
