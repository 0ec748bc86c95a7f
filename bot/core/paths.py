"""Is a repository path test code? One heuristic shared by the rule catalog, the code index, the
sub-agents and the eval baselines. Pure functions over POSIX paths relative to the repository root;
standard library only (the code index imports this in worker interpreters, keep it light).

The conventions are the common ones of pytest (``test_*.py``, ``*_test.py``, ``tests/``,
``conftest.py``), Go (``*_test.go``, ``testdata/``), Jest/Vitest/Mocha (``*.test.ts``,
``*.spec.js``, ``__tests__/``, ``__mocks__/``), RSpec/minitest (``spec/``, ``*_spec.rb``,
``*_test.rb``), Maven/Gradle (``src/test/``, ``*Test.java``, ``*Spec.groovy``) and Rust
(``tests/``, ``benches/``). They are heuristics: a file can be misclassified.
"""

from __future__ import annotations

import re

TEST_DIRS: frozenset[str] = frozenset({
    "test", "tests", "testing", "__tests__", "__mocks__", "__fixtures__", "spec", "specs", "testdata", "test_data",
    "fixtures", "e2e", "benches",
})
"""Directory names (lower case, compared case-insensitively) whose contents are tests or test data."""

_TEST_NAME_ANY_CASE = re.compile(
    r"^test_.*\.py$|_test\.(py|go)$|^conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$",
    re.IGNORECASE,
)
_TEST_NAME = re.compile(
    r"^test_|conftest\.py$|_tests?\.py$|^tests?\.py$|_test\.go$|_spec\.rb$|_test\.rb$"
    r"|Tests?\.java$|.Tests?\.(kt|cs|scala)$|.Spec\.(groovy|kt|scala)$"
)


def split_path(path: str) -> list[str]:
    """The non-empty segments of ``path`` (``\\`` read as ``/``, ``.`` segments dropped)."""
    return [p for p in path.replace("\\", "/").split("/") if p and p != "."]


def is_test_path(path: str) -> bool:
    """True for test code and test data: a directory in :data:`TEST_DIRS` anywhere in the path
    (any case), or a file named like a test: ``test_*`` (any extension), ``*_test.py``,
    ``*_tests.py``, ``tests.py``, ``conftest.py``, ``*_test.go``, ``*.test.ts``, ``*.spec.js``,
    ``*_spec.rb``, ``*_test.rb``, ``FooTest.java``, ``FooTests.cs``, ``FooSpec.groovy``. The
    pytest, Go and JavaScript names match in any case; the others as written. ``""`` is not a test.
    """
    parts = split_path(path)
    if not parts:
        return False
    if any(p.lower() in TEST_DIRS for p in parts[:-1]):
        return True
    name = parts[-1]
    return bool(_TEST_NAME.search(name) or _TEST_NAME_ANY_CASE.search(name))
