"""bot.core.yamldata: a hit returns exactly what yaml.load returns, a fresh copy each time; the
packaged registry loads the same through the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import yamldata
from bot.core.registry import load_registry, registry_root
from bot.core.yamldata import ParsedYamlCache, load_data_yaml

TEXT = """\
id: x/y
tags: [a, b]
n: 3
f: 1.5
flag: yes
none: ~
nested: {k: [1, {z: "s"}]}
shared: &s [1, 2]
again: *s
"""


def test_a_hit_is_a_fresh_copy_of_what_yaml_returns(tmp_path: Path) -> None:
    expected = yaml.safe_load(TEXT)
    with ParsedYamlCache(tmp_path) as cache:
        first = load_data_yaml(TEXT)
        first["tags"].append("mutated")  # a caller's change never reaches the cache
    assert cache.misses == 1 and cache.hits == 0
    assert cache.path.exists()
    with ParsedYamlCache(tmp_path) as cache:
        second = load_data_yaml(TEXT)
        third = load_data_yaml(TEXT)
    assert cache.hits == 2 and cache.misses == 0
    assert second == expected and list(second) == list(expected) and second is not third
    assert type(second["flag"]) is bool and type(second["n"]) is int and second["none"] is None
    assert not yamldata._ACTIVE


def test_an_edited_text_is_a_miss_and_unmarshallable_values_are_parsed_each_time(tmp_path: Path) -> None:
    with ParsedYamlCache(tmp_path):
        load_data_yaml(TEXT)
    with ParsedYamlCache(tmp_path) as cache:
        assert load_data_yaml(TEXT.replace("n: 3", "n: 4"))["n"] == 4
        stamp = load_data_yaml("when: 2024-01-02\n")
        assert load_data_yaml("when: 2024-01-02\n") == stamp == yaml.safe_load("when: 2024-01-02\n")
    assert cache.misses == 3 and cache.hits == 0


def test_a_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    path = yamldata.cache_file(tmp_path)
    path.write_bytes(b"\x00not marshal")
    with ParsedYamlCache(tmp_path) as cache:
        assert load_data_yaml(TEXT) == yaml.safe_load(TEXT)
    assert cache.misses == 1
    with ParsedYamlCache(tmp_path) as cache:
        load_data_yaml(TEXT)
    assert cache.hits == 1


def test_the_registry_loads_the_same_through_the_cache(tmp_path: Path) -> None:
    plain = load_registry()
    for _ in range(2):  # a cold cache, then a warm one
        with ParsedYamlCache(tmp_path) as cache:
            cached = load_registry(registry_root())
        assert cached.rules == plain.rules
    assert cache.hits >= 40 and cache.misses == 0


def test_the_default_policy_comes_from_the_cache_and_a_repository_policy_never_does(tmp_path: Path) -> None:
    from bot.policy.loader import _parse, default_policy_text, load_policy  # noqa: PLC0415

    strict = _parse(default_policy_text(), "rules/default_policy.yml")
    repo_text = "auto_approve:\n  max_changed_lines: 7\n"
    with ParsedYamlCache(tmp_path) as cache:
        cold = load_policy(None)
        keys = [k for k in cache.entries if k.startswith("policy-strict:")]  # not the safe loader's entry
        assert len(keys) == 1
        hits = cache.hits
        assert load_policy(repo_text, source=".quorum.yml").auto_approve.max_changed_lines == 7
        assert [k for k in cache.entries if k.startswith("policy-strict:")] == keys  # the repository's text: uncached
        assert cache.hits == hits + 1  # the default, again
    with ParsedYamlCache(tmp_path) as cache:
        assert yamldata.load_data_yaml(default_policy_text(), parse=lambda t: 1 / 0, tag="policy-strict") == strict
        assert load_policy(None) == cold
        assert cache.misses == 0


def test_a_parse_function_needs_its_tag() -> None:
    with pytest.raises(ValueError, match="together"):
        load_data_yaml("a: 1\n", parse=lambda t: {})
    with pytest.raises(ValueError, match="together"):
        load_data_yaml("a: 1\n", tag="x")


def test_yaml_error_is_pyyamls() -> None:
    assert yamldata.YAMLError is yaml.YAMLError
    with pytest.raises(AttributeError):
        _ = yamldata.NoSuchThing
