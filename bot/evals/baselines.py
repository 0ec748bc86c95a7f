"""Naive auto-approval baselines, measured on the same PRs as Quorum in ``quorum replay``.

- ``small_change``: at most 20 changed lines, at most 2 files, no CI or build file;
- ``no_runtime_source``: nothing but docs, tests, and comment or blank lines in code changed.

Also the path classifiers the labels share (tests, docs, CI, build files, runtime source). Pure
functions over the diff model; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.diff import Diff, FileChange
from bot.core.languages import language_for_path
from bot.core.paths import is_doc_path, is_test_path

SMALL_MAX_LINES = 20
SMALL_MAX_FILES = 2

_CI_RE = re.compile(
    r"^(\.github/|\.gitlab/|\.circleci/|\.buildkite/|\.azure-pipelines/)|"
    r"(^|/)(\.gitlab-ci\.yml|\.travis\.yml|azure-pipelines[^/]*\.ya?ml|bitbucket-pipelines\.yml|"
    r"Jenkinsfile[^/]*|\.pre-commit-config\.yaml|\.pre-commit-hooks\.yaml|appveyor\.yml|codecov\.ya?ml)$",
    re.IGNORECASE,
)
_BUILD_RE = re.compile(
    r"(^|/)(pyproject\.toml|setup\.py|setup\.cfg|MANIFEST\.in|tox\.ini|noxfile\.py|Makefile|GNUmakefile|"
    r"[^/]*\.mk|CMakeLists\.txt|Dockerfile[^/]*|[^/]*\.dockerfile|docker-compose[^/]*|\.dockerignore|"
    r"requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|Pipfile(\.lock)?|poetry\.lock|uv\.lock|pdm\.lock|"
    r"package(-lock)?\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.(mod|sum)|Cargo\.(toml|lock)|"
    r"Gemfile(\.lock)?|[^/]*\.gemspec|pom\.xml|build\.gradle[^/]*|settings\.gradle[^/]*|\.npmrc|"
    r"tsconfig[^/]*\.json|webpack\.config\.[jt]s|rollup\.config\.[jt]s|vite\.config\.[jt]s)$"
    r"|(^|/)requirements/[^/]+\.(txt|in)$",
    re.IGNORECASE,
)
_COMMENT_PREFIXES = {
    "python": ("#",),
    "ruby": ("#",),
    "javascript": ("//", "/*", "*", "*/"),
    "typescript": ("//", "/*", "*", "*/"),
    "tsx": ("//", "/*", "*", "*/"),
    "go": ("//", "/*", "*", "*/"),
    "java": ("//", "/*", "*", "*/"),
    "rust": ("//", "/*", "*", "*/"),
}


def is_ci_path(path: str) -> bool:
    """CI configuration: ``.github/``, GitLab/CircleCI/Travis/Azure/Jenkins files, pre-commit config."""
    return bool(_CI_RE.search(path))


def is_build_path(path: str) -> bool:
    """Build and dependency files: pyproject.toml, setup.py, Makefile, Dockerfile, lock files, ..."""
    return bool(_BUILD_RE.search(path))


def is_runtime_source(path: str) -> bool:
    """A code file that ships and runs: a parseable language, not a test, doc, CI or build file."""
    if language_for_path(path) is None:
        return False
    return not (is_test_path(path) or is_doc_path(path) or is_ci_path(path) or is_build_path(path))


def is_comment_or_blank(path: str, text: str) -> bool:
    """True when ``text`` (one source line of ``path``) is blank or a comment line in its language.

    Unknown languages: only blank lines count. Docstrings are code here (they are not comments).
    """
    stripped = text.strip()
    if not stripped:
        return True
    prefixes = _COMMENT_PREFIXES.get(language_for_path(path) or "", ())
    return stripped.startswith(prefixes) if prefixes else False


def _comment_only(fc: FileChange) -> bool:
    lines = [*fc.added_lines(), *fc.removed_lines()]
    return bool(lines) and all(is_comment_or_blank(fc.path, ln.text) for ln in lines)


def small_change(diff: Diff) -> bool:
    """Baseline: approve when <= 20 changed lines, <= 2 files, and no CI or build file changed.

    Renames count both paths; a truncated or empty diff is never approved.
    """
    if diff.truncated or not diff.files:
        return False
    if diff.changed_lines > SMALL_MAX_LINES or len(diff.files) > SMALL_MAX_FILES:
        return False
    for fc in diff.files:
        for p in filter(None, (fc.path, fc.old_path)):
            if is_ci_path(p) or is_build_path(p):
                return False
    return True


def no_runtime_source(diff: Diff) -> bool:
    """Baseline: approve when every changed file is docs or tests, or a code file whose changed
    lines are all comments or blank. CI and build files are runtime here (they run); binary files
    outside docs are too. A truncated or empty diff is never approved.
    """
    if diff.truncated or not diff.files:
        return False
    for fc in diff.files:
        paths = [p for p in (fc.path, fc.old_path) if p]
        if all(is_doc_path(p) or is_test_path(p) for p in paths) and not any(
            is_ci_path(p) or is_build_path(p) for p in paths
        ):
            continue
        if fc.language and not fc.is_binary and not fc.mode_changed and _comment_only(fc):
            continue
        return False
    return True


BASELINES: dict[str, Callable[[Diff], bool]] = {
    "small_change": small_change,
    "no_runtime_source": no_runtime_source,
}
"""Baseline name -> predicate over the PR's diff (True: the baseline would approve)."""

BASELINE_DESCRIPTIONS: dict[str, str] = {
    "small_change": f"<= {SMALL_MAX_LINES} changed lines, <= {SMALL_MAX_FILES} files, no CI or build files",
    "no_runtime_source": "no runtime source changed (docs, tests, comments only)",
}
