"""Loading policies: the default, deep-merge, one-line errors, fail-closed validation, versions."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from importlib import resources

import pytest
import yaml

from bot.core.errors import PolicyError
from bot.core.models import AGENT_NAMES
from bot.core.sensitive import CATEGORIES
from bot.policy import Policy, default_policy_text, load_policy
from bot.policy.loader import MAX_POLICY_BYTES, deep_merge
from bot.policy.schema import Agents, SensitiveCategories

# --- the default ---------------------------------------------------------------------------------


def test_default_text_is_the_packaged_file() -> None:
    packaged = resources.files("rules").joinpath("default_policy.yml").read_text(encoding="utf-8")
    assert default_policy_text() == packaged
    assert yaml.safe_load(packaged)["version"] == 1


def test_default_values_match_the_documented_defaults(default_policy: Policy) -> None:
    aa = default_policy.auto_approve
    assert (aa.max_changed_lines, aa.max_files, aa.min_confidence, aa.max_risk) == (200, 10, 0.7, 0.3)
    assert (aa.max_minor_findings, aa.hold_rules) == (1, ["logic/untested-behaviour-change", "paths/wide-reach"])
    assert default_policy.sensitive_paths.categories.enabled() == list(CATEGORIES)
    assert default_policy.sensitive_paths.extra == {}
    assert aa.required_agents == list(AGENT_NAMES)
    assert aa.exclude_bots and aa.require_checks_green and aa.allow_unknown_checks and aa.enabled
    assert (default_policy.large_diff.split_threshold_lines, default_policy.large_diff.split_threshold_files) == (800, 40)
    acts = default_policy.actions
    assert (acts.critical_finding, acts.block_verdict) == ("request_changes", "request_changes")
    for name in ("large_diff", "abstention", "truncation", "prompt_injection", "human_review_requested", "sensitive_path"):
        assert getattr(acts, name) == "needs_human", name
    assert (acts.concern, acts.gate_failed) == ("comment", "comment")
    assert default_policy.agents.enabled_names() == list(AGENT_NAMES)


def test_agents_model_has_exactly_the_five_agent_names() -> None:
    assert tuple(Agents.model_fields) == AGENT_NAMES


def test_none_and_empty_text_mean_the_default(default_policy: Policy) -> None:
    assert load_policy(None) == default_policy
    for text in ("", "\n", "# just a comment\n", "---\n"):
        assert load_policy(text).version == default_policy.version


def _key_lines(node: yaml.Node, out: list[tuple[int, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if not node.flow_style:
                out.append((k.start_mark.line, k.value))
            _key_lines(v, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _key_lines(item, out)


def test_every_key_of_the_default_is_documented_by_a_comment() -> None:
    text = default_policy_text()
    lines = text.splitlines()
    keys: list[tuple[int, str]] = []
    _key_lines(yaml.compose(text), keys)
    assert len(keys) > 30
    undocumented = [name for line, name in keys if not lines[line - 1].lstrip().startswith("#")]
    assert undocumented == []


# --- deep merge ----------------------------------------------------------------------------------


def test_deep_merge_mappings_merge_lists_and_scalars_replace() -> None:
    base = {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2}
    over = {"a": {"y": [3], "z": {"j": 2}}, "c": 3}
    assert deep_merge(base, over) == {"a": {"x": 1, "y": [3], "z": {"k": 1, "j": 2}}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "b": 2}  # not mutated


def test_override_merges_on_top_of_the_default(default_policy: Policy) -> None:
    p = load_policy("auto_approve:\n  max_files: 3\nagents:\n  logic: {enabled: false}\n")
    assert p.auto_approve.max_files == 3
    assert p.auto_approve.max_changed_lines == default_policy.auto_approve.max_changed_lines
    assert p.agents.logic.enabled is False
    assert p.agents.logic.timeout_s == default_policy.agents.logic.timeout_s  # merged, not replaced
    assert p.agents.enabled_names() == [a for a in AGENT_NAMES if a != "logic"]


def test_lists_replace_the_default(default_policy: Policy) -> None:
    assert default_policy.auto_approve.hold_rules == ["logic/untested-behaviour-change", "paths/wide-reach"]
    p = load_policy("auto_approve:\n  hold_rules: [QPY004, 'intent/']\n")
    assert p.auto_approve.hold_rules == ["QPY004", "intent/"]  # replaced, not appended
    assert load_policy("auto_approve: {hold_rules: []}").auto_approve.hold_rules == []


def test_sensitive_categories_merge_key_by_key() -> None:
    p = load_policy("sensitive_paths:\n  categories: {auth: false}\n  extra: {payments: [src/billing/**]}\n")
    assert "auth" not in p.sensitive_paths.categories.enabled()
    assert "crypto" in p.sensitive_paths.categories.enabled()  # other categories kept
    assert p.extra_sensitive_globs() == [("payments", "src/billing/**")]


def test_sensitive_categories_are_the_core_ones() -> None:
    """The policy's switches and bot.core.sensitive's categories are the same list."""
    assert tuple(SensitiveCategories.model_fields) == CATEGORIES


def test_bot_config_cannot_be_switched_off() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("sensitive_paths: {categories: {bot_config: false}}", source=".quorum.yml")
    assert "bot_config cannot be false" in str(info.value)


# --- errors: one line, naming the key and the valid keys --------------------------------------------

UNKNOWN_KEYS = [
    # text, the key, where, some valid keys
    ("colour: blue", "colour", "at the top level", ["version", "auto_approve", "large_diff", "sensitive_paths", "actions", "agents"]),
    ("auto_approve: {max_line: 3}", "max_line", "in auto_approve", ["max_changed_lines", "max_files", "min_confidence", "required_agents"]),
    ("large_diff: {lines: 3}", "lines", "in large_diff", ["split_threshold_lines", "split_threshold_files"]),
    ("actions: {critical: comment}", "critical", "in actions", ["critical_finding", "gate_failed", "abstention"]),
    ("agents: {bogus: {enabled: false}}", "bogus", "in agents", list(AGENT_NAMES)),
    ("agents: {safety: {timeout: 3}}", "timeout", "in agents.safety", ["enabled", "timeout_s", "options"]),
]


@pytest.mark.parametrize(("text", "key", "where", "valid"), UNKNOWN_KEYS)
def test_unknown_keys_name_the_valid_keys(text: str, key: str, where: str, valid: list[str]) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(text, source=".quorum.yml")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f".quorum.yml: unknown key '{key}' {where} (valid: ")
    listed = msg.split("(valid: ", 1)[1].rstrip(")").split(", ")
    for name in valid:
        assert name in listed
    assert key not in listed


def test_unknown_agent_lists_the_five_in_order() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("agents: {reviewer: {enabled: true}}")
    assert str(info.value).endswith("(valid: " + ", ".join(AGENT_NAMES) + ")")


BAD = [
    ("auto_approve: {max_files: ten}", "auto_approve.max_files"),
    ("auto_approve: {max_files: 1.5}", "auto_approve.max_files"),
    ("auto_approve: {max_changed_lines: -1}", "auto_approve.max_changed_lines"),
    ("auto_approve: {min_confidence: 1.5}", "auto_approve.min_confidence"),
    ("auto_approve: {exclude_bots: 'yes'}", "auto_approve.exclude_bots"),
    ("auto_approve: {required_agents: [intent, reviewer]}", "unknown agent 'reviewer'"),
    ("auto_approve: {required_agents: []}", "auto_approve.required_agents"),
    ("auto_approve: {excluded_authors: alice}", "auto_approve.excluded_authors"),
    ("auto_approve: [1, 2]", "auto_approve"),
    ("large_diff: {split_threshold_files: 0}", "large_diff.split_threshold_files"),
    ("sensitive_paths: {extra: {ci: '.github/**'}}", "sensitive_paths.extra.ci"),
    ("sensitive_paths: {extra: {ci: ['[abc']}}", "unterminated"),
    ("sensitive_paths: {categories: {ci: 'no'}}", "sensitive_paths.categories.ci"),
    ("sensitive_paths: {ci: []}", "unknown key 'ci' in sensitive_paths (valid: categories, extra)"),
    ("sensitive_paths: {categories: {secrets: false}}", "unknown key 'secrets' in sensitive_paths.categories (valid: bot_config, ci"),
    ("auto_approve: {max_minor_findings: -1}", "auto_approve.max_minor_findings"),
    ("auto_approve: {max_minor_findings: 'two'}", "auto_approve.max_minor_findings"),
    ("auto_approve: {hold_rules: logic/x}", "auto_approve.hold_rules"),
    ("auto_approve: {hold_rules: ['logic x']}", "is not a rule id, a rule-id prefix or a tag"),
    ("auto_approve: {hold_rules: ['']}", "is not a rule id, a rule-id prefix or a tag"),
    ("auto_approve: {hold_rules: ['/logic']}", "is not a rule id, a rule-id prefix or a tag"),
    # validated against the rule registry, naming the nearest valid ids (difflib)
    ("auto_approve: {hold_rules: [paths/wide-rech]}", "did you mean paths/wide-reach"),
    ("auto_approve: {hold_rules: ['tag:injecton']}", "did you mean tag:injection"),
    ("auto_approve: {hold_rules: [logic/no-such-rule]}", "unknown rule id or prefix 'logic/no-such-rule'"),
    ("actions: {concern: maybe}", "concern must be one of comment, needs_human, request_changes"),
    ("agents: {intent: {timeout_s: 0}}", "agents.intent.timeout_s"),
    ("agents: {intent: {options: {since: 2024-01-01}}}", "agents.intent.options: since"),
    ("version: 2", "version"),
    ("- a\n- b\n", "must be a YAML mapping"),
    ("just text", "must be a YAML mapping"),
]


@pytest.mark.parametrize(("text", "needle"), BAD)
def test_bad_values_are_one_line_errors(text: str, needle: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(text, source="repo/.quorum.yml")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("repo/.quorum.yml: ")
    assert needle in msg


INVALID_YAML = [
    ("a: [1,\n", "invalid YAML at line 2"),
    ("a: b: c\n", "invalid YAML at line 1"),
    ("\tx: 1\n", "invalid YAML at line 1"),
    ("x: &a [1]\ny: *a\n", "aliases"),
    ("auto_approve:\n  <<: {max_files: 1}\n", "merge keys"),
    ("auto_approve:\n  max_files: 1\n  max_files: 2\n", "duplicate key 'max_files'"),
    ("auto_approve: {1: 2}\n", "is not a string"),
    ("a: 1\n---\nb: 2\n", "invalid YAML"),
]


@pytest.mark.parametrize(("text", "needle"), INVALID_YAML)
def test_invalid_yaml_is_a_one_line_error(text: str, needle: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(text, source=".quorum.yml")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(".quorum.yml: ")
    assert needle in msg


def test_oversized_policy_is_refused() -> None:
    text = "# " + "x" * MAX_POLICY_BYTES + "\n"
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(text)


def test_several_errors_are_counted_on_one_line() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("auto_approve: {max_files: x, max_risk: y}")
    assert "(and 1 more error)" in str(info.value)


# --- fail closed -----------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", ["abstention", "truncation", "prompt_injection"])
def test_fail_closed_conditions_can_never_approve(condition: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(f"actions: {{{condition}: approve}}")
    assert f"{condition} cannot be 'approve'" in str(info.value)
    assert "fail closed" in str(info.value)


@pytest.mark.parametrize(
    "condition",
    ["critical_finding", "block_verdict", "large_diff", "human_review_requested", "sensitive_path", "concern", "gate_failed"],
)
def test_no_condition_may_map_to_approve(condition: str) -> None:
    with pytest.raises(PolicyError, match=f"{condition} cannot be 'approve'"):
        load_policy(f"actions: {{{condition}: approve}}")


@pytest.mark.parametrize("condition", ["abstention", "truncation", "prompt_injection"])
@pytest.mark.parametrize("action", ["comment", "needs_human", "request_changes"])
def test_fail_closed_conditions_accept_non_approving_actions(condition: str, action: str) -> None:
    assert getattr(load_policy(f"actions: {{{condition}: {action}}}").actions, condition) == action


# --- versions --------------------------------------------------------------------------------------


def test_version_is_a_sha256_of_the_effective_policy(default_policy: Policy) -> None:
    v = default_policy.version
    assert v.startswith("sha256:") and len(v) == len("sha256:") + 64
    int(v.removeprefix("sha256:"), 16)


SAME_AS_DEFAULT = [
    "version: 1",
    "auto_approve: {max_files: 10}",
    "auto_approve: {min_confidence: 0.70}",
    "auto_approve: {required_agents: [execution_paths, anti_patterns, logic, safety, intent]}",
    "agents: {intent: {timeout_s: 30.0}}",
    "large_diff:\n  split_threshold_files: 40\n  split_threshold_lines: 800\n",
    "sensitive_paths: {extra: {unused_category: []}}",
    "auto_approve: {hold_rules: [paths/wide-reach, logic/untested-behaviour-change, ' paths/wide-reach']}",
]


@pytest.mark.parametrize("text", SAME_AS_DEFAULT)
def test_same_effective_policy_same_version(text: str, default_policy: Policy) -> None:
    assert load_policy(text).version == default_policy.version


def test_equivalent_lists_in_any_order_or_case_have_one_version() -> None:
    a = load_policy("auto_approve: {excluded_authors: [Bob, alice], hold_rules: [logic/, intent/]}\n"
                    "sensitive_paths: {extra: {x: ['b/**', 'a/**']}}")
    b = load_policy("sensitive_paths: {extra: {x: ['a/**', 'b/**', 'a/**']}}\n"
                    "auto_approve: {excluded_authors: [ALICE, bob], hold_rules: [intent/, logic/, intent/]}")
    assert a.version == b.version
    assert a.auto_approve.excluded_authors == ["alice", "bob"]


DIFFERENT = [
    "auto_approve: {max_files: 11}",
    "auto_approve: {min_confidence: 0.71}",
    "auto_approve: {required_agents: [intent, safety]}",
    "auto_approve: {enabled: false}",
    "actions: {concern: needs_human}",
    "agents: {intent: {options: {disable: [intent/vague-title]}}}",
    "sensitive_paths: {extra: {ci: ['.github/workflows/**']}}",
    "sensitive_paths: {categories: {auth: false}}",
    "auto_approve: {max_minor_findings: 0}",
    "auto_approve: {max_minor_findings: null}",
    "auto_approve: {hold_rules: []}",
]


@pytest.mark.parametrize("text", DIFFERENT)
def test_different_effective_policy_different_version(text: str, default_policy: Policy) -> None:
    assert load_policy(text).version != default_policy.version


def test_versions_of_different_overrides_are_distinct() -> None:
    assert len({load_policy(t).version for t in DIFFERENT}) == len(DIFFERENT)


def test_policy_is_immutable(default_policy: Policy) -> None:
    with pytest.raises(FrozenInstanceError):
        default_policy.auto_approve.max_files = 1000  # type: ignore[misc]


def test_agent_options_are_typed_and_misspelt_keys_fail() -> None:
    """``disabled:`` instead of ``disable:`` used to be ignored silently; now the policy fails to load."""
    with pytest.raises(PolicyError, match=r"anti_patterns\.options\.disabled: unknown option \(valid options of anti_patterns: disable, enable\)"):
        load_policy("agents: {anti_patterns: {options: {disabled: [QPY016]}}}", source="repo/.quorum.yml")
    with pytest.raises(PolicyError, match="did you mean"):
        load_policy("agents: {logic: {options: {disable: [logic/removed-gaurd]}}}", source="repo/.quorum.yml")
    policy = load_policy("agents: {logic: {options: {disable: ['tag:tests']}}}")
    assert policy.agents.get("logic").options == {"disable": ["tag:tests"]}


def test_without_a_yaml_cache_the_default_is_parsed_once_per_process_a_fresh_copy_each_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-lived process (the command server's reviews, the App worker, replay) parses the
    packaged default once; each caller gets its own copy; a repository's text is parsed every time."""
    from bot.core.yamldata import cache_active  # noqa: PLC0415
    from bot.policy import loader  # noqa: PLC0415

    assert not cache_active()
    parsed: list[str] = []
    real = loader._parse

    def counting(text: str, source: str) -> dict:
        parsed.append(source)
        return real(text, source)

    monkeypatch.setattr(loader, "_parse", counting)
    loader._parsed_default.cache_clear()
    first = loader._parse_default(default_policy_text())
    first["auto_approve"]["max_changed_lines"] = -1  # a caller's change stays its own
    second = loader._parse_default(default_policy_text())
    assert second == real(default_policy_text(), "x") and second["auto_approve"]["max_changed_lines"] != -1
    assert parsed == ["rules/default_policy.yml"]
    assert load_policy(None) == load_policy(None) and parsed == ["rules/default_policy.yml"]
    load_policy("auto_approve:\n  max_changed_lines: 7\n", source=".quorum.yml")
    load_policy("auto_approve:\n  max_changed_lines: 7\n", source=".quorum.yml")
    assert parsed == ["rules/default_policy.yml", ".quorum.yml", ".quorum.yml"]
    loader._parsed_default.cache_clear()
