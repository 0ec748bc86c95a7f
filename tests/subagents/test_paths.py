"""Path heuristics shared by sub-agents (subagents/_paths.py)."""

from __future__ import annotations

import pytest

from subagents._paths import category, is_doc_path, is_runtime_source, is_test_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_app.py", "test"),
        ("pkg/test_app.py", "test"),
        ("pkg/app_test.py", "test"),
        ("conftest.py", "test"),
        ("store/load_test.go", "test"),
        ("web/src/user.test.ts", "test"),
        ("web/src/user.spec.js", "test"),
        ("web/src/__tests__/user.js", "test"),
        ("spec/models/user_spec.rb", "test"),
        ("src/test/java/AppTest.java", "test"),
        (".github/workflows/ci.yml", "ci"),
        (".gitlab-ci.yml", "ci"),
        ("Jenkinsfile", "ci"),
        ("pyproject.toml", "build"),
        ("requirements-dev.txt", "build"),
        ("web/package-lock.json", "build"),
        ("go.mod", "build"),
        ("Dockerfile", "build"),
        ("setup.py", "build"),
        ("README.md", "doc"),
        ("docs/guide/intro.rst", "doc"),
        ("docs/images/flow.svg", "doc"),
        ("CHANGELOG", "doc"),
        ("LICENSE", "doc"),
        ("src/app/parser.py", "runtime"),
        ("cmd/server/main.go", "runtime"),
        ("docs/conf.py", "doc"),
        ("tests.py", "test"),
        ("examples/params/index.js", "doc"),
        ("config/settings.yaml", "other"),
        ("assets/logo.png", "other"),
    ],
)
def test_category(path: str, expected: str) -> None:
    assert category(path) == expected


def test_predicates_agree_with_category() -> None:
    assert is_test_path("tests/fixtures/data.json") and not is_runtime_source("tests/helpers.py")
    assert is_doc_path("CONTRIBUTING.md") and not is_doc_path("requirements.txt")
    assert is_runtime_source("src/app.ts") and not is_runtime_source("noxfile.py")
    assert not is_test_path("src/contest.py") and not is_test_path("src/attestation.py")
