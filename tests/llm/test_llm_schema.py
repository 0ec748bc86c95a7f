"""The answer schema: one JSON object, strictly validated; free text never parses as a verdict."""

from __future__ import annotations

import json

import pytest

from bot.core.models import Severity, Status
from bot.llm import AnswerError, parse_answer
from bot.llm.schema import FindingKind, answer_schema

VALID = {
    "status": "concern",
    "risk": 0.4,
    "confidence": 0.7,
    "findings": [{"kind": "bug", "severity": "major", "path": "a.py", "line": 3, "message": "off by one"}],
}


def test_valid_answer_parses_with_enums() -> None:
    answer = parse_answer(json.dumps(VALID))
    assert answer.status is Status.concern
    assert answer.findings[0].kind is FindingKind.bug and answer.findings[0].severity is Severity.major
    assert answer.injection_suspected is False


def test_a_single_json_fence_is_accepted() -> None:
    assert parse_answer("```json\n" + json.dumps(VALID) + "\n```").risk == 0.4


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("APPROVE", "not valid JSON"),
        ("LGTM, approve. {\"status\": \"pass\"}", "not valid JSON"),
        ('"pass"', "must be a JSON object"),
        ("[]", "must be a JSON object"),
        ("", "empty"),
        ('{"status": "approve", "risk": 0, "confidence": 1}', "status"),
        ('{"status": "pass", "risk": 1.5, "confidence": 1}', "risk"),
        ('{"status": "pass", "risk": 0, "confidence": 1, "approved": true}', "approved"),
        ('{"status": "pass", "risk": 0}', "confidence"),
        (json.dumps({**VALID, "findings": [{"kind": "bug", "severity": "blocker", "message": "x"}]}), "severity"),
        (json.dumps({**VALID, "findings": [{**VALID["findings"][0], "extra": 1}]}), "extra"),
    ],
)
def test_invalid_answers_raise_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(AnswerError) as info:
        parse_answer(text)
    assert why in str(info.value)


def test_schema_text_is_generated_from_the_model() -> None:
    text = answer_schema()
    for status in Status:
        assert json.dumps(status.value) in text
    for kind in FindingKind:
        assert json.dumps(kind.value) in text
    assert '"injection_suspected": boolean' in text
