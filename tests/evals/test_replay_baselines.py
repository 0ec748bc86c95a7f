"""The naive baselines and the path classifiers shared with the labels."""

from __future__ import annotations

import pytest

from bot.core.diff import parse_diff
from bot.evals.baselines import (
    is_build_path,
    is_ci_path,
    is_comment_or_blank,
    is_doc_path,
    is_runtime_source,
    is_test_path,
    no_runtime_source,
    small_change,
)


def _file(path: str, removed: list[str], added: list[str]) -> str:
    body = "".join(f"-{x}\n" for x in removed) + "".join(f"+{x}\n" for x in added)
    return (
        f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -1,{len(removed)} +1,{len(added)} @@\n{body}"
    )


def _diff(*files: str):  # noqa: ANN202
    return parse_diff("".join(files))


@pytest.mark.parametrize(
    ("path", "ci", "build", "test", "doc", "runtime"),
    [
        ("src/pkg/core.py", False, False, False, False, True),
        (".github/workflows/ci.yml", True, False, False, False, False),
        (".pre-commit-config.yaml", True, False, False, False, False),
        ("pyproject.toml", False, True, False, False, False),
        ("requirements/dev.txt", False, True, False, True, False),
        ("Dockerfile", False, True, False, False, False),
        ("tests/test_core.py", False, False, True, False, False),
        ("src/pkg/core_test.go", False, False, True, False, False),
        ("web/app.spec.ts", False, False, True, False, False),
        ("conftest.py", False, False, True, False, False),
        ("docs/conf.py", False, False, False, True, False),
        ("CHANGES.md", False, False, False, True, False),
        ("README.rst", False, False, False, True, False),
        ("noxfile.py", False, True, False, False, False),
    ],
)
def test_path_classes(path: str, ci: bool, build: bool, test: bool, doc: bool, runtime: bool) -> None:
    assert (is_ci_path(path), is_build_path(path), is_test_path(path), is_doc_path(path), is_runtime_source(path)) == (
        ci, build, test, doc, runtime
    )


def test_comment_or_blank() -> None:
    assert is_comment_or_blank("a.py", "   # note")
    assert is_comment_or_blank("a.go", "// note")
    assert is_comment_or_blank("a.ts", " * jsdoc line")
    assert is_comment_or_blank("a.py", "   ")
    assert not is_comment_or_blank("a.py", "x = 1  # note")
    assert not is_comment_or_blank("notes.txt", "# heading")  # unknown language: only blanks


def test_small_change() -> None:
    assert small_change(_diff(_file("src/a.py", ["x = 1"], ["x = 2"])))
    assert small_change(_diff(_file("src/a.py", [], [f"l{i}" for i in range(20)])))
    assert not small_change(_diff(_file("src/a.py", [], [f"l{i}" for i in range(21)])))  # 21 lines
    three = [_file(f"src/{n}.py", [], ["x"]) for n in "abc"]
    assert small_change(_diff(*three[:2])) and not small_change(_diff(*three))  # 3 files
    assert not small_change(_diff(_file(".github/workflows/ci.yml", ["a"], ["b"])))
    assert not small_change(_diff(_file("setup.py", ["a"], ["b"])))
    truncated = _diff(_file("src/a.py", ["x"], ["y"])).model_copy(update={"truncated": True})
    assert not small_change(truncated)
    assert not small_change(_diff())


def test_no_runtime_source() -> None:
    assert no_runtime_source(_diff(_file("docs/index.md", ["a"], ["b"]), _file("tests/test_a.py", ["a"], ["b"])))
    assert no_runtime_source(_diff(_file("src/a.py", ["# old comment", ""], ["# new comment"])))
    assert not no_runtime_source(_diff(_file("src/a.py", ["# old"], ["x = 1  # new"])))
    assert not no_runtime_source(_diff(_file("docs/index.md", ["a"], ["b"]), _file("src/a.py", ["x"], ["y"])))
    assert not no_runtime_source(_diff(_file(".github/workflows/ci.yml", ["a"], ["b"])))  # CI runs
    assert not no_runtime_source(_diff(_file("requirements/docs.txt", ["a==1"], ["a==2"])))  # build, not docs
    assert not no_runtime_source(_diff())
