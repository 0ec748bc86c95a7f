"""The policy the engine reads (:mod:`bot.policy.model`, dataclasses) equals the pydantic
schema's validation of the same text (:mod:`bot.policy.schema`): the packaged default, built
without pydantic, and repository overrides, validated by the schema."""

from __future__ import annotations

import sys

import pytest

from bot.policy import schema
from bot.policy.loader import _parse, deep_merge, default_policy_text, load_policy
from bot.policy.model import Policy

OVERRIDES = [
    None,
    "",
    "auto_approve: {excluded_authors: [Bob, alice], hold_rules: [logic/, 'tag:secret'], max_minor_findings: null}",
    "agents: {safety: {timeout_s: 12, options: {disable: safety/dangerous-call}}, logic: {enabled: false}}",
    "sensitive_paths: {extra: {x: ['b/**', 'a/**']}, categories: {auth: false}}",
    "risk_model: {max_probability: 1}\nreviewers: {fallback_users: ['@Zed', amy], fallback_teams: [acme/Platform]}",
    "actions: {concern: needs_human}\nfeedback: {mute_after_down_votes: 3}",
]


def _schema(text: str | None) -> schema.Policy:
    default = _parse(default_policy_text(), "default")
    return schema.Policy.model_validate(default if text is None else deep_merge(default, _parse(text, "t")))


@pytest.mark.parametrize("text", OVERRIDES)
def test_the_engine_policy_equals_the_schema_validation(text: str | None) -> None:
    validated = _schema(text)
    policy = load_policy(text)
    assert isinstance(policy, Policy)
    assert policy.model_dump(by_alias=True) == validated.model_dump(mode="json", by_alias=True)
    assert policy.canonical_json() == validated.canonical_json()
    assert policy.version == validated.version
    assert policy == Policy.from_dump(validated.model_dump())


def test_the_packaged_default_is_built_without_the_schema_and_equals_it() -> None:
    """The default policy (Quorum's own file) is read without pydantic: equal to its validation."""
    fast = load_policy(None)
    assert fast == Policy.from_dump(_schema(None).model_dump())
    assert type(fast.agents.get("intent").timeout_s) is float


def test_a_review_of_the_default_policy_imports_no_pydantic() -> None:
    import subprocess  # noqa: PLC0415

    code = ("import sys; from bot.policy import load_policy, evaluate; load_policy(None); "
            "print('pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_model_copy_keeps_the_version_like_pydantic() -> None:
    policy = load_policy(None)
    aa = policy.auto_approve.model_copy(update={"hold_rules": []})
    copy = policy.model_copy(update={"auto_approve": aa})
    assert copy.auto_approve.hold_rules == [] and copy.version == policy.version
    ref = _schema(None)
    assert copy.version == ref.model_copy(update={"auto_approve": ref.auto_approve.model_copy(update={"hold_rules": []})}).version
