"""Fixtures for the decision-log tests: review results, stores on SQLite and on the throwaway
PostgreSQL 15 cluster of ``tests/conftest.py`` (tests marked ``postgres``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.models import (
    Action,
    Decision,
    Finding,
    PullRequestInfo,
    Reason,
    ReviewResult,
    Severity,
    Status,
    Timings,
    Verdict,
)

def make_result(
    *,
    repo: str = "acme/widgets",
    number: int | None = 7,
    head_sha: str = "b" * 40,
    base_sha: str = "a" * 40,
    action: Action = Action.comment,
    policy_version: str = "p" * 64,
    decision_id: str | None = None,
    findings: int = 1,
) -> ReviewResult:
    """A small but complete ReviewResult: two verdicts, ``findings`` findings on the safety one."""
    found = [
        Finding.make(
            rule_id="SAF001",
            agent="safety",
            severity=Severity.major,
            message=f"subprocess with shell=True #{i}",
            path="app/run.py",
            line=10 + i,
            evidence=[f"app/run.py:{10 + i} run"],
            suggestion="pass a list of arguments",
        )
        for i in range(findings)
    ]
    verdicts = [
        Verdict(agent="intent", status=Status.passed, risk=0.1, confidence=0.9, model="offline", elapsed_ms=3.5),
        Verdict(
            agent="safety",
            status=Status.concern if findings else Status.passed,
            risk=0.6,
            confidence=0.8,
            findings=found,
            model="offline",
            prompt_version="safety-v1",
            tokens=120,
            cost_usd=0.0012,
            elapsed_ms=12.25,
        ),
    ]
    decision = Decision(
        action=action,
        reasons=[Reason(rule_id="gate.agents_pass", message="safety raised a concern")],
        risk=0.6,
        policy_version=policy_version,
        decision_id=decision_id or f"D-{repo}-{number}-{head_sha[:7]}-{policy_version[:4]}",
    )
    pr = PullRequestInfo(repo=repo, number=number, title="Add runner", base_sha=base_sha, head_sha=head_sha)
    return ReviewResult(
        pr=pr,
        verdicts=verdicts,
        decision=decision,
        timings=Timings(total_ms=20.0),
        diff_sha256="d" * 64,
        diff_stats={"files": 1, "additions": 12, "deletions": 2},
    )


@pytest.fixture
def result_factory() -> Callable[..., ReviewResult]:
    """``make_result`` as a fixture (keyword arguments as above)."""
    return make_result


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite log in a directory that does not exist yet (the store must create it)."""
    return f"sqlite:///{tmp_path / 'data' / 'decisions.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A fresh, empty log URL on each backend (SQLite file; new database on the test cluster)."""
    if request.param == "sqlite":
        return sqlite_url
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_log_url()
