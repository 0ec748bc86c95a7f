"""Fixtures for the history-replay tests: a real git repository with a small merged-PR history.

``HistoryBuilder`` writes files with :func:`bot.testing.gitrepo.write_files` and commits with real
git at chosen dates (the replay reads committer times, which ``bot.testing.gitrepo.commit`` fixes
at one instant). ``pr_history`` builds the standard story the label tests assert on:

====  =====  =========================================================================
day   PR     what happens
====  =====  =========================================================================
0     -      initial commit (direct push): app/core.py, app/parser.py stub, tests, README
10    #1     "Add parser" (squash): parse() with a bug-prone line         -> SZZ by #6
20    #2     "Add feature flag" (squash)                                  -> reverted by #3
25    #3     'Revert "Add feature flag (#2)"' with "This reverts commit"  (a revert)
30    #4     'Revert "Revert "Add feature flag (#2)""' (a reapply)        -> reverts nothing
40    #5     merge commit from alice/util: two branch commits, app/util.py -> SZZ by #9
50    #6     "Fix crash in parser": edits #1's line, a test and a comment (a fix)
60    #7     "Fix typo in docs" (not a fix: non-functional title)
70    #8     "Fix bump of tooling" by dependabot[bot] (not a fix: bot)
80    #9     "Handle empty input" body "Fixes #99" (a fix): edits #5's branch line
90    #10    "Fix error in core": edits a line of the initial direct push (blames no PR)
500   #11    "Fix issue in flag": edits #4's line, 470 days later (outside the window)
520   #12    "Tweak parser" (squash)                                      -> young at HEAD
540   #13    "Fix regression in tweak": edits #12's line                  -> SZZ, but #12 young
560   -      HEAD: direct push touching README
====  =====  =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.gitrun import run_git
from bot.testing.gitrepo import FileMap, git, init_repo, write_files

EPOCH = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


class HistoryBuilder:
    """Commits on ``main`` at ``EPOCH + day`` days: direct pushes, squash PRs and merge-commit PRs."""

    def __init__(self, path: Path) -> None:
        self.path = init_repo(path)

    def _commit(self, message: str, day: float, author: str | None = None) -> str:
        stamp = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = {
            "GIT_AUTHOR_NAME": author or "Dev One", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
            "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@example.invalid",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "HOME": "/nonexistent",
        }
        git(self.path, "add", "-A")
        run_git(self.path, "commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=env)
        return git(self.path, "rev-parse", "HEAD")

    def push(self, message: str, files: FileMap, day: float, author: str | None = None) -> str:
        """A direct commit on main (a squash PR when the subject ends in ``(#N)``)."""
        write_files(self.path, files)
        return self._commit(message, day, author)

    def squash(self, number: int, title: str, files: FileMap, day: float, body: str = "", author: str | None = None) -> str:
        """A squash-merged PR: one commit ``<title> (#N)``."""
        message = f"{title} (#{number})" + (f"\n\n{body}" if body else "")
        return self.push(message, files, day, author)

    def merge(self, number: int, title: str, branch: str, commits: list[FileMap], day: float, author: str = "Alice") -> tuple[str, list[str]]:
        """A merge-commit PR: ``commits`` on a branch, merged with ``--no-ff``. Returns (merge, branch shas)."""
        git(self.path, "checkout", "-q", "-b", branch)
        shas = [self.push(f"{branch} step {i}", files, day - 1 + i * 0.1, author) for i, files in enumerate(commits)]
        git(self.path, "checkout", "-q", "main")
        stamp = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = {"GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "m@example.invalid",
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@example.invalid",
               "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "HOME": "/nonexistent"}
        run_git(self.path, "merge", "-q", "--no-ff", "--no-verify", "-m",
                f"Merge pull request #{number} from {author.lower()}/{branch}\n\n{title}", branch, env=env)
        return git(self.path, "rev-parse", "HEAD"), shas


CORE_V0 = '''"""Core helpers."""


def greet(name):
    return "hello " + name


def total(items):
    result = 0
    for item in items:
        result += item
    return result
'''

PARSER_V1 = '''"""A tiny parser."""


def parse(text):
    parts = text.split(",")
    # keep every part, even empty ones
    first = parts[0]
    return [p.strip() for p in parts], first
'''

PARSER_V6 = '''"""A tiny parser."""


def parse(text):
    parts = text.split(",")
    # keep the non-empty parts only
    first = parts[0] if parts else ""
    return [p.strip() for p in parts], first
'''


@dataclass
class PRHistory:
    """The standard history (see the module docstring): ``path``, and SHAs by name (``pr1``..)."""

    path: Path
    sha: dict[str, str] = field(default_factory=dict)
    branch: dict[str, list[str]] = field(default_factory=dict)


def build_pr_history(root: Path) -> PRHistory:
    """Build the standard history below ``root/history``."""
    b = HistoryBuilder(root / "history")
    h = PRHistory(path=b.path)
    s = h.sha
    s["init"] = b.push("Initial commit", {
        "app/__init__.py": "", "app/core.py": CORE_V0, "README.md": "# demo\n",
        "tests/test_core.py": "from app.core import greet\n\n\ndef test_greet():\n    assert greet('a') == 'hello a'\n",
    }, day=0)
    s["pr1"] = b.squash(1, "Add parser", {"app/parser.py": PARSER_V1}, day=10)
    s["pr2"] = b.squash(2, "Add feature flag", {"app/flags.py": "ENABLED = True\nLEVEL = 3\n"}, day=20)
    s["pr3"] = b.squash(3, 'Revert "Add feature flag (#2)"', {"app/flags.py": None}, day=25,
                        body=f"This reverts commit {s['pr2']}.")
    s["pr4"] = b.squash(4, 'Revert "Revert "Add feature flag (#2)""', {"app/flags.py": "ENABLED = True\nLEVEL = 3\n"},
                        day=30, body=f"This reverts commit {s['pr3']}.")
    s["pr5"], h.branch["pr5"] = b.merge(5, "Add util module", "util", [
        {"app/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"},
        {"app/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n\ndef half(x):\n    return x / 2\n"},
    ], day=40)
    s["pr6"] = b.squash(6, "Fix crash in parser", {
        "app/parser.py": PARSER_V6,
        "tests/test_parser.py": "from app.parser import parse\n\n\ndef test_empty():\n    assert parse('')\n",
    }, day=50)
    s["pr7"] = b.squash(7, "Fix typo in docs", {"README.md": "# demo project\n"}, day=60)
    s["pr8"] = b.squash(8, "Fix bump of tooling", {"app/core.py": CORE_V0.replace("hello ", "hello, ")}, day=70,
                        author="dependabot[bot]")
    s["pr9"] = b.squash(9, "Handle empty input", {
        "app/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n\ndef half(x):\n    return x // 2\n",
    }, day=80, body="Fixes #99")
    s["pr10"] = b.squash(10, "Fix error in core", {
        "app/core.py": CORE_V0.replace("hello ", "hello, ").replace("result = 0", "result = 0.0"),
    }, day=90)
    s["pr11"] = b.squash(11, "Fix issue in flag", {"app/flags.py": "ENABLED = True\nLEVEL = 4\n"}, day=500)
    s["pr12"] = b.squash(12, "Tweak parser", {"app/parser.py": PARSER_V6.replace('split(",")', 'split(";")')}, day=520)
    s["pr13"] = b.squash(13, "Fix regression in tweak", {"app/parser.py": PARSER_V6.replace('split(",")', 'split(",;")')},
                         day=540)
    s["head"] = b.push("Update README", {"README.md": "# demo project v2\n"}, day=560)
    return h


@pytest.fixture(scope="session")
def pr_history(tmp_path_factory: pytest.TempPathFactory) -> PRHistory:
    """The standard merged-PR history (built once per session; tests must not write to it)."""
    return build_pr_history(tmp_path_factory.mktemp("replay"))
