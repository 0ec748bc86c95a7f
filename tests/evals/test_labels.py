"""Revert and SZZ labels on a real git history (see ``conftest.py`` for the story)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.evals.history import Commit, MergedPR, find_merged_prs, head_info
from bot.evals.labels import (
    DAY,
    _PRIndex,
    compute_labels,
    fix_kind,
    functional_removed_lines,
    is_reapply,
    is_revert,
    revert_labels,
    revert_targets,
)


def _pr(title: str, body: str = "", author: str = "Dev", email: str = "d@x.invalid", branch: str = "") -> MergedPR:
    return MergedPR(number=1, sha="a" * 40, base="b" * 40, kind="squash", title=title, body=body, author=author,
                    email=email, timestamp=0, branch=branch)


def _by_number(h: Any) -> dict[int, MergedPR]:
    return {p.number: p for p in find_merged_prs(h.path)}


def test_history_finds_squash_and_merge_prs(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    assert [p.number for p in prs] == [13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]  # newest first, pushes skipped
    by = {p.number: p for p in prs}
    assert by[1].kind == "squash" and by[1].title == "Add parser" and by[1].sha == pr_history.sha["pr1"]
    assert by[1].base == pr_history.sha["init"]
    merge = by[5]
    assert merge.kind == "merge" and merge.title == "Add util module" and merge.branch == "alice/util"
    assert merge.author == "Alice"  # the branch's author, not the maintainer who merged
    assert merge.base == pr_history.sha["pr4"]  # first parent: the PR diff is first-parent..merge
    assert by[8].author == "dependabot[bot]"


def test_history_window_is_inclusive(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    one = next(p for p in prs if p.number == 6)
    got = find_merged_prs(pr_history.path, since=one.date, until=one.date)
    assert [p.number for p in got] == [6]


def test_revert_labels_skip_reapplies(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    labels = revert_labels(pr_history.path, prs)
    # #2 was reverted by #3; #4 (a revert of the revert) reapplies #2 and labels nothing.
    assert labels == {pr_history.sha["pr2"]: [pr_history.sha["pr3"]]}


@pytest.mark.parametrize(
    ("subject", "reapply", "revert"),
    [
        ('Revert "Add x (#2)" (#3)', False, True),
        ('Revert "Revert "Add x (#2)"" (#4)', True, False),
        ('Reapply "Add x (#2)"', True, False),
        ("Reverse the list order (#5)", False, False),
        ("Add revert button (#6)", False, False),
    ],
)
def test_reapply_and_revert_subjects(subject: str, reapply: bool, revert: bool) -> None:
    assert is_reapply(subject) is reapply
    assert is_revert(subject) is revert


def test_github_revert_messages_without_sha(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    index = _PRIndex(pr_history.path, prs, pr_history.sha["head"])
    late = 10**10

    def targets(message: str) -> set[str]:
        return revert_targets(Commit(sha="f" * 40, parents=("e" * 40,), timestamp=late, author="x", email="x",
                                     message=message), index)

    # GitHub's revert PR: the title quotes the reverted title with its number; the body names it.
    assert targets('Revert "Add parser (#1)" (#20)') == {pr_history.sha["pr1"]}
    assert targets('Revert "Add util module"\n\nReverts owner/repo#5') == {pr_history.sha["pr5"]}
    assert targets('Revert "Merge pull request #5 from alice/util"') == {pr_history.sha["pr5"]}
    assert targets('Revert "Tweak parser"') == {pr_history.sha["pr12"]}  # a unique earlier title
    assert targets('Revert "Revert "Add parser (#1)""') == set()  # a reapply
    assert targets("Revert some local change") == set()
    # A revert of a commit inside a merge PR's branch labels that PR.
    assert targets(f"Revert step\n\nThis reverts commit {pr_history.branch['pr5'][1][:10]}.") == {pr_history.sha["pr5"]}
    # A revert of a direct push (not a PR) labels nothing.
    assert targets(f"Revert init\n\nThis reverts commit {pr_history.sha['init']}.") == set()


def test_fix_kind() -> None:
    assert fix_kind(_pr("Fix crash when input is empty")) == "title"
    assert fix_kind(_pr("Handle regression in parser")) == "title"
    assert fix_kind(_pr("Handle empty input", body="Fixes #12")) == "body"
    assert fix_kind(_pr("Handle empty input", body="Closes owner/repo#12")) == "body"
    assert fix_kind(_pr("Add a feature")) is None
    assert fix_kind(_pr("Fix typo in README")) is None
    assert fix_kind(_pr("Fix typing of parse()")) is None
    assert fix_kind(_pr("Fix mypy errors")) is None
    assert fix_kind(_pr("Fix docs build")) is None
    assert fix_kind(_pr("Bump x to fix a bug", author="dependabot[bot]")) is None
    assert fix_kind(_pr("[pre-commit.ci] fix hooks", author="pre-commit-ci[bot]")) is None
    assert fix_kind(_pr("Fix deps", author="Renovate Bot", email="bot@renovateapp.com")) is None
    assert fix_kind(_pr('Revert "Fix crash"')) is None
    assert fix_kind(_pr("prefix handling")) is None  # "prefix" is not "fix"


def test_functional_removed_lines_skip_noise() -> None:
    diff = (
        "diff --git a/app/m.py b/app/m.py\nindex 1111111..2222222 100644\n--- a/app/m.py\n+++ b/app/m.py\n"
        "@@ -1,6 +1,6 @@\n"
        "-# a comment\n+# another comment\n"
        "-x = compute(1)\n+x = compute(2)\n"
        "-from typing import List\n+from typing import Sequence\n"
        "-\n+\n"
        "-    moved_line()\n+moved_line()\n"
        "-y = 2\n+y = 3\n"
        "diff --git a/tests/test_m.py b/tests/test_m.py\nindex 1111111..2222222 100644\n"
        "--- a/tests/test_m.py\n+++ b/tests/test_m.py\n@@ -1 +1 @@\n-assert a\n+assert b\n"
        "diff --git a/docs/x.md b/docs/x.md\nindex 1111111..2222222 100644\n"
        "--- a/docs/x.md\n+++ b/docs/x.md\n@@ -1 +1 @@\n-old\n+new\n"
    )
    lines, skipped = functional_removed_lines(diff)
    assert lines == {"app/m.py": [2, 6]}
    assert skipped == ""
    only_tests = diff[diff.index("diff --git a/tests"):]
    assert functional_removed_lines(only_tests) == ({}, "no code lines")


def test_szz_labels(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    head_sha, head_ts = head_info(pr_history.path)
    labels = compute_labels(pr_history.path, prs, head_sha=head_sha, head_timestamp=head_ts)
    s = pr_history.sha
    fixes = {f.number: f for f in labels.fixes}
    assert sorted(fixes) == [6, 9, 10, 11, 13]  # not #7 (typo), #8 (bot), #3/#4 (reverts)
    assert fixes[9].kind == "body"
    assert fixes[6].blamed == {s["pr1"]: 1}  # the comment line it also changed is not blamed
    assert fixes[9].blamed == {s["pr5"]: 1}  # a merge PR's branch commit maps to the merge
    assert fixes[10].blamed == {}  # the line came from a direct push, not a PR
    assert fixes[11].blamed == {}  # #4 is 470 days older than this fix: outside the window
    assert fixes[13].blamed == {s["pr12"]: 1}
    assert labels.szz == {s["pr1"]: [s["pr6"]], s["pr5"]: [s["pr9"]], s["pr12"]: [s["pr13"]]}
    by = _by_number(pr_history)
    assert labels.eligible(by[10]) and not labels.eligible(by[11])  # 90 days before HEAD at day 560
    assert not labels.eligible(by[12])  # SZZ-labelled, but too young for the statistics
    assert labels.head_timestamp - by[1].timestamp == 550 * DAY


def test_szz_fix_cache_is_reused(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    head_sha, head_ts = head_info(pr_history.path)
    seen: list[int] = []
    cache: dict[str, Any] = {}
    compute_labels(pr_history.path, prs, head_sha=head_sha, head_timestamp=head_ts, fix_cache=cache,
                   on_fix=lambda info: seen.append(info.number))
    assert sorted(seen) == [6, 9, 10, 11, 13]
    seen.clear()
    again = compute_labels(pr_history.path, prs, head_sha=head_sha, head_timestamp=head_ts, fix_cache=cache,
                           on_fix=lambda info: seen.append(info.number))
    assert seen == []  # every fix came from the cache
    assert len(again.szz) == 3


def test_szz_candidates_bound_the_fixes_blamed(pr_history: Any) -> None:
    prs = find_merged_prs(pr_history.path)
    head_sha, head_ts = head_info(pr_history.path)
    only_late = [p for p in prs if p.number == 12]
    labels = compute_labels(pr_history.path, prs, head_sha=head_sha, head_timestamp=head_ts, candidates=only_late)
    assert sorted(f.number for f in labels.fixes) == [13]  # fixes before #12 cannot blame it
