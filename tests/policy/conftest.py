"""Builders for policy tests: small unified diffs parsed with the real parser, verdicts, facts.

Tests get them through the ``mk`` fixture (one shared set, never copied into test files).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from bot.core.diff import Diff, parse_diff
from bot.core.models import AGENT_NAMES, Finding, PullRequestInfo, Severity, Status, Verdict
from bot.policy import Policy, PolicyInput, load_policy


@functools.lru_cache(maxsize=256)
def _load(text: str | None) -> Policy:
    # Policies are immutable; caching keeps the suite fast (a load parses the default YAML).
    return load_policy(text, source="test.yml")


class Make:
    """Factories for diffs, verdicts, PR facts and policies."""

    # --- unified diff snippets (git diff --full-index -M style) ---------------------------------

    @staticmethod
    def modified(path: str, added: int = 1, removed: int = 0) -> str:
        minus = "".join(f"-old {i}\n" for i in range(removed))
        plus = "".join(f"+new {i}\n" for i in range(added))
        return (
            f"diff --git a/{path} b/{path}\n"
            "index 1111111..2222222 100644\n"
            f"--- a/{path}\n+++ b/{path}\n"
            f"@@ -1,{removed + 1} +1,{added + 1} @@\n ctx\n{minus}{plus}"
        )

    @staticmethod
    def added(path: str, lines: int = 1) -> str:
        body = "".join(f"+line {i}\n" for i in range(lines))
        return (
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..2222222\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{lines} @@\n{body}"
        )

    @staticmethod
    def deleted(path: str) -> str:
        return (
            f"diff --git a/{path} b/{path}\ndeleted file mode 100644\nindex 5555555..0000000\n"
            f"--- a/{path}\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        )

    @staticmethod
    def renamed(old: str, new: str) -> str:
        return (
            f"diff --git a/{old} b/{new}\nsimilarity index 90%\nrename from {old}\nrename to {new}\n"
            f"index 1111111..2222222 100644\n--- a/{old}\n+++ b/{new}\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        )

    @staticmethod
    def binary(path: str) -> str:
        return (
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..3333333\n"
            f"Binary files /dev/null and b/{path} differ\n"
        )

    @staticmethod
    def mode_change(path: str) -> str:
        return f"diff --git a/{path} b/{path}\nold mode 100644\nnew mode 100755\n"

    @staticmethod
    def symlink(path: str) -> str:
        return (
            f"diff --git a/{path} b/{path}\nnew file mode 120000\nindex 0000000..4444444\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+target\n\\ No newline at end of file\n"
        )

    @staticmethod
    def submodule(path: str) -> str:
        return (
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 160000\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -1 +1 @@\n-Subproject commit {'1' * 40}\n+Subproject commit {'2' * 40}\n"
        )

    def diff(self, *chunks: str, **caps: int) -> Diff:
        """Parse the concatenated chunks (``caps``: parse_diff's max_files / max_lines)."""
        return parse_diff("".join(chunks), **caps)

    def small_diff(self) -> Diff:
        return self.diff(self.modified("src/app.py", added=3, removed=1))

    # --- verdicts, PR, facts ---------------------------------------------------------------------

    @staticmethod
    def finding(rule_id: str = "logic/x", severity: str = "minor", agent: str = "logic", path: str = "src/app.py") -> Finding:
        return Finding.make(rule_id=rule_id, agent=agent, severity=severity, message=f"{rule_id} here", path=path, line=2)

    @staticmethod
    def verdict(agent: str, status: str = "pass", risk: float = 0.05, confidence: float = 0.9, **kw: Any) -> Verdict:
        return Verdict(agent=agent, status=Status(status), risk=risk, confidence=confidence, **kw)

    def verdicts(self, **changes: dict[str, Any] | None) -> list[Verdict]:
        """All five agents passing; ``changes[agent]`` overrides fields, ``None`` drops the agent."""
        out = []
        for a in AGENT_NAMES:
            if a in changes and changes[a] is None:
                continue
            out.append(self.verdict(a, **(changes.get(a) or {})))
        return out

    @staticmethod
    def pr(**kw: Any) -> PullRequestInfo:
        base = {"repo": "acme/widgets", "number": 7, "author": "alice", "base_sha": "a" * 40, "head_sha": "b" * 40}
        base.update(kw)
        return PullRequestInfo(**base)

    def facts(self, diff: Diff | None = None, verdicts: list[Verdict] | None = None, **pr: Any) -> PolicyInput:
        return PolicyInput(
            pr=self.pr(**pr),
            diff=diff if diff is not None else self.small_diff(),
            verdicts=verdicts if verdicts is not None else self.verdicts(),
        )

    @staticmethod
    def policy(text: str | None = None) -> Policy:
        return _load(text)

    @staticmethod
    def critical(agent: str = "safety") -> Finding:
        return Make.finding("safety/hardcoded-secret", Severity.critical.value, agent)


@pytest.fixture
def mk() -> Make:
    return Make()


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy()
