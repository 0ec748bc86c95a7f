"""Path heuristics shared by sub-agents: is a changed file a test, documentation, CI, build or
runtime source? Pure functions over POSIX paths relative to the repository root.

The test, documentation, CI and build heuristics live in :mod:`bot.core.paths` (re-exported here:
one definition each for the whole code base). The others follow
the common layouts: ``docs/`` and ``examples/``, README/CHANGELOG/LICENSE, CI configuration
directories and files, build and lock files. They are heuristics: a file can be misclassified.
"""

from __future__ import annotations

import posixpath
import re

from bot.core.paths import (
    CODE_EXTENSIONS,
    extension,
    is_build_path,
    is_ci_path,
    is_doc_path,
    is_test_path,
    split_path,
)

_TOOLING_DIRS = frozenset({"scripts", "script", "tools", "tooling", "hack", "devtools"})
_TOOLING_FILES = re.compile(
    r"^(\.[\w-]+rc\.[cm]?[jt]s|[\w.-]+\.config\.[cm]?[jt]s|gruntfile\.js|gulpfile\.[cm]?js|jakefile\.js)$", re.IGNORECASE
)
"""Developer tool configuration written as code: ``.eslintrc.js``, ``vite.config.ts``, ``gulpfile.js``."""
_DECLARATION = re.compile(r"\.d\.[cm]?ts$")


def is_declaration_path(path: str) -> bool:
    """True for a TypeScript declaration file (``*.d.ts``, ``*.d.mts``, ``*.d.cts``): types only,
    nothing in it runs."""
    return bool(_DECLARATION.search(path))


def is_tooling_path(path: str) -> bool:
    """True for developer tooling that does not ship: code under a top-level ``scripts/``,
    ``tools/``, ``hack/`` (Kubernetes' convention) or ``devtools/`` directory (release helpers,
    CI helper scripts, generators), and tool configuration written as code (``.eslintrc.js``,
    ``*.config.ts``, ``gulpfile.js``)."""
    parts = split_path(path)
    if parts and _TOOLING_FILES.match(parts[-1]):
        return True
    return len(parts) > 1 and parts[0].lower() in _TOOLING_DIRS and is_code_path(path)


def is_code_path(path: str) -> bool:
    """True when the extension is a programming language's (see :data:`CODE_EXTENSIONS`)."""
    return extension(path) in CODE_EXTENSIONS


def is_runtime_source(path: str) -> bool:
    """True for program source that ships and runs: a code file that is not a test, not docs,
    not CI, not a build script (``setup.py``, ``noxfile.py``, ``build.rs`` are build files),
    not developer tooling (see :func:`is_tooling_path`) and not a TypeScript declaration file
    (``*.d.ts``: types only, nothing runs)."""
    return (
        is_code_path(path)
        and not is_test_path(path)
        and not is_doc_path(path)
        and not is_ci_path(path)
        and not is_build_path(path)
        and not is_tooling_path(path)
        and not is_declaration_path(path)
    )


def category(path: str) -> str:
    """One word for what ``path`` is: ``test``, ``ci``, ``build``, ``doc``, ``tooling``, ``runtime``
    or ``other`` (configuration, data, assets), checked in that order."""
    if is_test_path(path):
        return "test"
    if is_ci_path(path):
        return "ci"
    if is_build_path(path):
        return "build"
    if is_doc_path(path):
        return "doc"
    if is_tooling_path(path):
        return "tooling"
    if is_code_path(path):
        return "runtime"
    return "other"


_JS_TEST_NAME = re.compile(r"^(.+?)\.(test|spec)\.[cm]?[jt]sx?$")
_TEST_AFFIXES = re.compile(r"^(test_|tests_)|(_tests?|\.test|\.spec|_spec|Tests?|Spec)$")


def module_under_test(path: str) -> str | None:
    """For a test file, the stem of the module it is named after, lower case: ``tests/test_coupons.py``
    -> ``coupons``, ``config_test.go`` -> ``config``, ``session.test.ts`` -> ``session``,
    ``FooTest.java`` -> ``foo``; None for other files and for test files named after nothing
    (``conftest.py``, ``tests.py``)."""
    if not is_test_path(path):
        return None
    name = posixpath.basename(path)
    m = _JS_TEST_NAME.match(name)
    if m:
        return m.group(1).lower()
    stem = name.split(".", 1)[0]
    subject = _TEST_AFFIXES.sub("", stem)
    return subject.lower() if subject and subject != stem else None


def module_stem(path: str) -> str:
    """The name a module is known by, lower case: the file stem, or the directory's name for
    package markers (``__init__.py``, ``index.js``, ``mod.rs``, ``main.go``...)."""
    parts = split_path(path)
    if not parts:
        return ""
    stem = posixpath.splitext(parts[-1])[0].lower()
    if stem in ("__init__", "index", "mod", "main", "lib", "__main__") and len(parts) > 1:
        return parts[-2].lower()
    return stem
