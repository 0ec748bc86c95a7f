"""Table tests for the diff gates: non_empty, changed_lines, files, split, truncated."""

from __future__ import annotations

import pytest

from bot.core.models import Action
from bot.policy.predicates import diff as gates

# (added lines per file, files, max_changed_lines, max_files, expected lines gate, expected files gate)
SIZE = [
    (1, 1, 200, 10, "pass", "pass"),
    (100, 2, 200, 10, "pass", "pass"),  # exactly 200 changed lines
    (201, 1, 200, 10, "fail", "pass"),
    (1, 10, 200, 10, "pass", "pass"),
    (1, 11, 200, 10, "pass", "fail"),
    (5, 1, 4, 10, "fail", "pass"),
    (0, 0, 0, 0, "pass", "pass"),  # empty diff is within caps (diff.non_empty handles it)
]


@pytest.mark.parametrize(("per_file", "n_files", "max_lines", "max_files", "lines_status", "files_status"), SIZE)
def test_size_caps(mk, per_file, n_files, max_lines, max_files, lines_status, files_status) -> None:
    policy = mk.policy(f"auto_approve: {{max_changed_lines: {max_lines}, max_files: {max_files}}}")
    d = mk.diff(*(mk.added(f"src/f{i}.py", per_file) for i in range(n_files)))
    facts = mk.facts(diff=d)
    lines = gates.changed_lines(policy, facts)
    files = gates.files(policy, facts)
    assert (lines.status, files.status) == (lines_status, files_status)
    assert lines.details["changed_lines"] == per_file * n_files
    assert files.details["files"] == n_files
    assert lines.action is None and files.action is None  # pure gates: actions.gate_failed applies


def test_changed_lines_count_deletions_too(mk) -> None:
    policy = mk.policy("auto_approve: {max_changed_lines: 5}")
    facts = mk.facts(diff=mk.diff(mk.modified("a.py", added=3, removed=3)))
    r = gates.changed_lines(policy, facts)
    assert r.status == "fail"
    assert r.details == {"changed_lines": 6, "additions": 3, "deletions": 3, "max_changed_lines": 5}


@pytest.mark.parametrize(
    ("chunks", "status"),
    [
        ([], "fail"),
        (["binary"], "pass"),  # a binary-only change is not empty (paths.special_files holds it)
        (["deleted"], "pass"),
        (["modified"], "pass"),
    ],
)
def test_non_empty(mk, default_policy, chunks, status) -> None:
    make = {"binary": lambda: mk.binary("a.png"), "deleted": lambda: mk.deleted("a.txt"), "modified": lambda: mk.modified("a.py")}
    d = mk.diff(*(make[c]() for c in chunks))
    r = gates.non_empty(default_policy, mk.facts(diff=d))
    assert r.status == status
    if status == "fail":
        assert "nothing to approve" in r.message


# (lines per file, files, threshold lines, threshold files, status)
SPLIT = [
    (10, 1, 800, 40, "pass"),
    (800, 1, 800, 40, "pass"),
    (801, 1, 800, 40, "fail"),
    (1, 40, 800, 40, "pass"),
    (1, 41, 800, 40, "fail"),
    (3, 2, 5, 40, "fail"),
    (1, 3, 800, 2, "fail"),
]


@pytest.mark.parametrize(("per_file", "n_files", "t_lines", "t_files", "status"), SPLIT)
def test_split_threshold(mk, per_file, n_files, t_lines, t_files, status) -> None:
    policy = mk.policy(f"large_diff: {{split_threshold_lines: {t_lines}, split_threshold_files: {t_files}}}")
    d = mk.diff(*(mk.added(f"f{i}.py", per_file) for i in range(n_files)))
    r = gates.split(policy, mk.facts(diff=d))
    assert r.status == status
    assert r.action is Action.needs_human
    assert ("split" in r.message and "smaller" in r.message) is (status == "fail")


def test_split_action_is_configurable(mk) -> None:
    policy = mk.policy("actions: {large_diff: comment}\nlarge_diff: {split_threshold_lines: 1}")
    r = gates.split(policy, mk.facts(diff=mk.diff(mk.added("a.py", 2))))
    assert (r.status, r.action) == ("fail", Action.comment)


@pytest.mark.parametrize(("caps", "status"), [({}, "pass"), ({"max_files": 1}, "fail"), ({"max_lines": 2}, "fail")])
def test_truncated_diff(mk, default_policy, caps, status) -> None:
    d = mk.diff(mk.added("a.py", 2), mk.added("b.py", 2), **caps)
    r = gates.truncated(default_policy, mk.facts(diff=d))
    assert r.status == status
    assert r.action is Action.needs_human
    if status == "fail":
        assert r.details["reasons"] and "truncated" in r.message
