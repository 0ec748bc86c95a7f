"""Path heuristics shared by sub-agents: is a changed file a test, documentation, CI, build or
runtime source? Pure functions over POSIX paths relative to the repository root.

The test-file heuristic is :func:`bot.core.paths.is_test_path` (re-exported here). The others follow
the common layouts: ``docs/`` and ``examples/``, README/CHANGELOG/LICENSE, CI configuration
directories and files, build and lock files. They are heuristics: a file can be misclassified.
"""

from __future__ import annotations

import posixpath
import re

from bot.core.paths import is_test_path, split_path

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

DOC_EXTENSIONS: frozenset[str] = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc", ".org", ".tex"})
"""File extensions treated as prose documentation."""

_DOC_DIRS = frozenset({"docs", "doc", "documentation", "man", "site-docs", "examples", "example", "_examples", "_example",
                       "samples", "demo", "demos"})
_DOC_NAMES = re.compile(
    r"^(readme|changelog|changes|history|news|authors|contributors|contributing|code_of_conduct|"
    r"license|licence|copying|notice|security|support|governance|maintainers|releasing|upgrading)"
    r"(\.[a-z0-9]+)?$",
    re.IGNORECASE,
)
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
    """True for documentation: ``*.md``/``*.rst``/``*.txt``/..., anything under ``docs/``- or
    ``examples/``-like directories (including Sphinx's ``docs/conf.py`` and example programs: they
    do not ship), and
    well-known files (README, CHANGELOG, LICENSE, CONTRIBUTING ...). ``requirements*.txt`` and
    ``CMakeLists.txt`` are build files, not docs."""
    parts = split_path(path)
    if not parts:
        return False
    name = parts[-1]
    if is_build_path(path):
        return False
    if _DOC_NAMES.match(name):
        return True
    ext = extension(name)
    if ext in DOC_EXTENSIONS:
        return True
    if any(p.lower() in _DOC_DIRS for p in parts[:-1]) and not is_test_path(path):
        return True
    return False


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
