"""Path heuristics shared by sub-agents (subagents/_paths.py)."""

from __future__ import annotations

import pytest

from subagents._paths import category, is_doc_path, is_runtime_source, is_test_path, module_stem, module_under_test


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
        ("scripts/release.py", "tooling"),
        ("tools/gen/schema.go", "tooling"),
        ("src/scripts/run.py", "runtime"),
        ("scripts/README.md", "doc"),
        ("assets/logo.png", "doc"),  # images are documentation assets (bot.core.paths.is_doc_path)
            ("assets/data.csv", "other"),
    ],
)
def test_category(path: str, expected: str) -> None:
    assert category(path) == expected


def test_predicates_agree_with_category() -> None:
    assert is_test_path("tests/fixtures/data.json") and not is_runtime_source("tests/helpers.py")
    assert is_doc_path("CONTRIBUTING.md") and not is_doc_path("requirements.txt")
    assert is_runtime_source("src/app.ts") and not is_runtime_source("noxfile.py")
    assert not is_test_path("src/contest.py") and not is_test_path("src/attestation.py")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_coupons.py", "coupons"),
        ("config/config_test.go", "config"),
        ("src/session.test.ts", "session"),
        ("src/FooTest.java", "foo"),
        ("spec/user_spec.rb", "user"),
        ("tests/conftest.py", None),
        ("tests/helpers.py", None),
        ("src/coupons.py", None),
    ],
)
def test_module_under_test_names(path: str, expected: str | None) -> None:
    assert module_under_test(path) == expected


def test_a_test_file_s_subject_is_part_of_its_lower_cased_name() -> None:
    """What the logic agent's stale-test search relies on to skip most of a tree's paths
    (subagents/checks/logic/_scan.py, _stale_test): the subject is a contiguous part of the file
    name, lower-cased. Checked on the names above and on every test file of this repository."""
    from pathlib import Path  # noqa: PLC0415

    root = Path(__file__).resolve().parents[2]
    paths = ["tests/test_app.py", "pkg/app_test.py", "store/load_test.go", "web/src/user.test.ts", "web/User.spec.tsx",
             "src/FooTest.java", "src/FooTests.java", "src/FooSpec.scala", "tests/tests_api.py", "a/b/Rank_tests.py",
             "x/session.test.mjs", "x/Session.Spec.cts"]
    paths += [str(p.relative_to(root)) for p in (root / "tests").rglob("*.py")]
    checked = 0
    for path in paths:
        subject = module_under_test(path)
        if subject:
            checked += 1
            assert subject in path.rsplit("/", 1)[-1].lower(), path
    assert checked > 100


def test_module_stem() -> None:
    assert module_stem("src/shop/coupons.py") == "coupons"
    assert module_stem("src/flask/__init__.py") == "flask"
    assert module_stem("web/index.js") == "web"
