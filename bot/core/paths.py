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

import posixpath
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


CODE_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".py", ".pyi", ".pyx", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx",
        ".go", ".java", ".kt", ".kts", ".scala", ".rs", ".rb", ".php", ".c", ".h", ".cc", ".cpp",
        ".cxx", ".hpp", ".hh", ".cs", ".swift", ".m", ".mm", ".lua", ".pl", ".pm", ".r", ".jl",
        ".ex", ".exs", ".erl", ".clj", ".dart", ".vue", ".svelte", ".sql", ".sh", ".bash", ".zsh",
        ".ps1", ".groovy", ".hs", ".ml", ".fs", ".zig", ".nim",
    }
)
"""File extensions treated as program source (lower case, with the dot)."""

DOC_EXTENSIONS: frozenset[str] = frozenset({
    ".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc", ".textile", ".org", ".tex",
})
"""File extensions treated as prose documentation."""

IMAGE_EXTENSIONS: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp"})
"""Image extensions: documentation assets (screenshots, logos, diagrams); nothing in them runs."""

DOC_DIRS: frozenset[str] = frozenset({
    "docs", "doc", "documentation", "man", "site-docs", "examples", "example", "_examples", "_example", "samples",
    "demo", "demos", "changelog.d", "changes", "news", ".changeset",
})
"""Directory names (compared in lower case) whose files are documentation, example programs or
release-note fragments (towncrier's ``changes/``/``news/``, changesets' ``.changeset/``)."""

_DOC_NAMES = re.compile(
    r"^(readme|changelog|changes|history|news|authors|contributors|contributing|code_of_conduct|"
    r"license|licence|copying|notice|security|support|governance|maintainers|releasing|upgrading)"
    r"(?:[-_.][^/]*)?$",
    re.IGNORECASE,
)
_NOT_PROSE = frozenset({".yml", ".yaml", ".json", ".toml", ".ini", ".cfg", ".xml", ".lock"})
"""Extensions that make a well-known doc name (``security.yml``, ``history.json``) configuration or data."""
_CI_PREFIXES = (
    ".github/workflows/", ".github/actions/", ".circleci/", ".buildkite/", ".gitlab/ci/",
    ".azure-pipelines/", ".ci/", "ci/", ".woodpecker/", ".drone/", ".tekton/",
)
_CI_FILES = frozenset(
    {
        ".gitlab-ci.yml", ".travis.yml", "jenkinsfile", "azure-pipelines.yml", ".drone.yml",
        "appveyor.yml", ".appveyor.yml", "bitbucket-pipelines.yml", "cloudbuild.yaml",
        "cloudbuild.yml", ".woodpecker.yml", ".pre-commit-config.yaml", "codecov.yml", ".codecov.yml",
        ".github/dependabot.yml", ".github/dependabot.yaml", ".github/renovate.json", "renovate.json",
    }
)
_BUILD_FILES = frozenset(
    {
        "pyproject.toml", "setup.py", "setup.cfg", "manifest.in", "tox.ini", "noxfile.py", "pipfile",
        "pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock", "hatch.toml", "requirements.txt",
        "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json",
        "bun.lockb", ".npmrc", ".yarnrc", ".yarnrc.yml", "tsconfig.json", "go.mod", "go.sum",
        "go.work", "cargo.toml", "cargo.lock", "gemfile", "gemfile.lock", "pom.xml", "build.gradle",
        "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties", "makefile",
        "gnumakefile", "cmakelists.txt", "dockerfile", "containerfile", "docker-compose.yml",
        "docker-compose.yaml", "compose.yml", "compose.yaml", "justfile", "taskfile.yml", "build.rs",
        "build.sbt", "meson.build", "bazel", "workspace", "build.bazel", "module.bazel",
        "composer.json", "composer.lock", "mix.exs", "mix.lock", ".dockerignore", "vite.config.ts",
        "vite.config.js", "webpack.config.js", "rollup.config.js", "babel.config.js", ".babelrc",
        "jest.config.js", "jest.config.ts", "vitest.config.ts", ".python-version", ".nvmrc",
        ".tool-versions", "rust-toolchain", "rust-toolchain.toml",
    }
)
_BUILD_NAME = re.compile(r"^(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|dockerfile\.[\w.-]+|[\w.-]+\.dockerfile|[\w.-]+\.(mk|cmake|gradle|bzl))$")


def extension(path: str) -> str:
    """The lower-case extension of ``path`` with its dot (``".py"``), or ``""``."""
    return posixpath.splitext(posixpath.basename(path))[1].lower()


def is_doc_path(path: str) -> bool:
    """True for documentation: prose files (:data:`DOC_EXTENSIONS`: ``*.md``, ``*.rst``, ``*.txt``
    ...), images (:data:`IMAGE_EXTENSIONS`), well-known files (README, CHANGELOG, LICENSE,
    CONTRIBUTING, AUTHORS ... with any suffix, ``LICENSE-MIT``, ``README_zh.md``; not when the name
    is code or configuration: ``security.py``, ``history.json``), and anything under a
    :data:`DOC_DIRS` directory (``docs/``, ``examples/``, ``news/`` ..., including Sphinx's
    ``docs/conf.py`` and example programs: they do not ship). Never a build or dependency file
    (``requirements*.txt``, ``CMakeLists.txt``, ``docs/Makefile``), a CI file (a workflow named
    ``security.yml``) or a test below a doc directory (``examples/tests/test_x.py``).

    The one definition for the whole code base: the sub-agents' path categories, the sensitive-path
    classifier (docs are exempt from the auth/crypto word rules), the eval baselines and the risk
    model's features."""
    parts = split_path(path)
    if not parts:
        return False
    if is_build_path(path) or is_ci_path(path):
        return False
    name = parts[-1]
    ext = extension(name)
    if ext in DOC_EXTENSIONS or ext in IMAGE_EXTENSIONS:
        return True
    if _DOC_NAMES.match(name) and ext not in CODE_EXTENSIONS and ext not in _NOT_PROSE:
        return True
    return any(p.lower() in DOC_DIRS for p in parts[:-1]) and not is_test_path(path)


def is_ci_path(path: str) -> bool:
    """True for continuous-integration configuration: ``.github/workflows/``, ``.gitlab-ci.yml``,
    ``.circleci/``, ``Jenkinsfile``, ``.travis.yml``, pre-commit and dependabot/renovate config, ..."""
    low = "/".join(split_path(path)).lower()
    if low in _CI_FILES or posixpath.basename(low) in {"jenkinsfile", ".gitlab-ci.yml", ".travis.yml"}:
        return True
    return low.startswith(_CI_PREFIXES)


def is_build_path(path: str) -> bool:
    """True for build, packaging and dependency files (``pyproject.toml``, ``setup.py``,
    ``package.json``, lock files, ``go.mod``, ``Cargo.toml``, ``Makefile``, ``Dockerfile``, ...)."""
    parts = split_path(path)
    if not parts:
        return False
    name = parts[-1].lower()
    return name in _BUILD_FILES or bool(_BUILD_NAME.match(name))
