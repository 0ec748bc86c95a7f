"""Tests for bot.core.paths: the one test-path heuristic (the union of the former copies in the
rule catalog, the code index, the sub-agents and the eval baselines)."""

from __future__ import annotations

import pytest

from bot.core import sensitive
from bot.core.paths import TEST_DIRS, is_doc_path, is_test_path, split_path
from bot.evals import baselines
from subagents import _paths


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_core.py",
        "Tests/helpers.py",  # directories in any case
        "pkg/testdata/input.txt",
        "tests/fixtures/data.json",
        "pkg/test_data/x.csv",
        "web/__mocks__/api.js",
        "web/__fixtures__/user.json",
        "e2e/login.ts",
        "benches/speed.rs",
        "src/test/java/com/acme/App.java",  # Maven
        "conftest.py",
        "pkg/conftest.py",
        "pkg/core_test.py",
        "pkg/core_tests.py",
        "pkg/tests.py",
        "scripts/release_tests.py",  # the sub-agents' pattern, now everyone's
        "test_helpers.sh",
        "test_data.json",  # the code index's ``test_`` prefix, any extension
        "Test_Upper.py",  # pytest names in any case (the baselines' pattern)
        "src/pkg/core_test.go",
        "web/app.spec.ts",
        "web/App.Test.jsx",
        "lib/util.test.mjs",
        "spec/models/user_spec.rb",
        "lib/user_test.rb",
        "src/FooTest.java",
        "Test.java",
        "src/FooTests.cs",
        "src/FooSpec.groovy",
        "tests\\windows\\path.py",
        "./tests/x.py",
    ],
)
def test_is_test_path_positive(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "src/contest.py",
        "src/attestation.py",
        "src/latest.java",
        "src/testing_utils.py",
        "bot/core/paths.py",
        "tests",  # a file named like a test directory is not inside one
        "docs/testing.md",
        "src/Spec.kt",
        "src/protest_test.txt",
    ],
)
def test_is_test_path_negative(path: str) -> None:
    assert not is_test_path(path)


def test_test_dirs_are_lower_case() -> None:
    assert all(d == d.lower() for d in TEST_DIRS)


def test_split_path() -> None:
    assert split_path("./a\\b//c/") == ["a", "b", "c"]
    assert split_path("") == []


@pytest.mark.parametrize(("path", "doc"), [
    ("README", True), ("README.md", True), ("LICENSE-MIT", True), ("docs/conf.py", True), ("docs/logo.png", True),
    ("assets/logo.svg", True), ("news/123.bugfix", True), ("_examples/hello/main.go", True), ("notes.txt", True),
    ("CHANGELOG.rst", True),
    # code, configuration, build, CI and tests are not documentation even where a doc name or directory says so
    ("src/werkzeug/security.py", False), ("bin/contributors.js", False), (".github/workflows/security.yml", False),
    (".github/workflows/changelog.yml", False), ("docs/requirements.txt", False), ("requirements.txt", False),
    ("docs/Makefile", False), ("examples/tests/test_basic.py", False), (".gitignore", False), ("app.py", False),
    ("", False),
])
def test_is_doc_path_is_one_definition(path: str, doc: bool) -> None:
    """The one documentation heuristic (the sub-agents, the sensitive-path classifier, the baselines and
    the risk features all use it)."""
    assert is_doc_path(path) is doc
    assert sensitive.is_doc_path is baselines.is_doc_path is _paths.is_doc_path is is_doc_path
