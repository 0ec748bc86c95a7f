"""``quorum review --base BRANCH`` reads the policy and CODEOWNERS from the branch's tip now, and
the diff from the merge base; both SHAs are in the JSON output, the decision log and ``audit show``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.testing.gitrepo import commit, git, make_repo, write_files

EXCLUDE_ALICE = "version: 1\nauto_approve:\n  excluded_authors: [alice]\n"


def quorum(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("QUORUM_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def review(repo: Path, tmp_path: Path, *extra: str) -> dict:
    proc = quorum("review", "--repo", str(repo), "--format", "json", *extra, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def forked(tmp_path: Path) -> tuple[Path, str, str]:
    return make_repo(tmp_path, {"docs/guide.md": "# Guide\n\nText.\n"}, {"docs/guide.md": "# Guide\n\nClearer text.\n"},
                     title="docs: clarify", body="Rewords the guide.", author="alice")


def tighten(repo: Path, branch: str, files: dict[str, str | bytes | None]) -> str:
    git(repo, "checkout", "-q", branch)
    write_files(repo, files)
    tip = commit(repo, "tighten policy")
    git(repo, "checkout", "-q", "feature")
    return tip


def test_policy_tightened_on_main_after_the_fork_applies(tmp_path: Path) -> None:
    repo, fork_point, head = forked(tmp_path)
    before = review(repo, tmp_path, "--base", "main", "--no-log")
    assert before["decision"]["action"] == "approve"
    assert before["pr"]["policy_sha"] == before["pr"]["base_sha"] == fork_point
    tip = tighten(repo, "main", {".quorum.yml": EXCLUDE_ALICE})
    after = review(repo, tmp_path, "--base", "main")
    assert after["decision"]["action"] != "approve"
    assert any("alice" in r["message"] for r in after["decision"]["reasons"])
    # The diff still starts at the merge base; the policy came from the tip.
    assert after["pr"]["base_sha"] == fork_point and after["pr"]["policy_sha"] == tip
    assert after["pr"]["head_sha"] == head
    assert after["decision"]["policy_version"] != before["decision"]["policy_version"]
    # The decision log records both SHAs, and ``audit show`` prints them.
    shown = quorum("audit", "show", after["decision"]["decision_id"], tmp_path=tmp_path)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["base_sha"] == fork_point and record["policy_sha"] == tip


def test_default_target_is_the_default_branch_tip(tmp_path: Path) -> None:
    repo, fork_point, _ = forked(tmp_path)
    tip = tighten(repo, "main", {".quorum.yml": EXCLUDE_ALICE})
    out = review(repo, tmp_path, "--no-log")
    assert (out["pr"]["base_sha"], out["pr"]["policy_sha"]) == (fork_point, tip)
    assert out["decision"]["action"] != "approve"


def test_the_named_branch_not_main_supplies_the_policy(tmp_path: Path) -> None:
    repo, fork_point, _ = forked(tmp_path)
    git(repo, "branch", "release", fork_point)
    release_tip = tighten(repo, "release", {".quorum.yml": EXCLUDE_ALICE})
    # main is untouched: reviewing against main approves; against release it does not.
    assert review(repo, tmp_path, "--base", "main", "--no-log")["decision"]["action"] == "approve"
    out = review(repo, tmp_path, "--base", "release", "--no-log")
    assert out["pr"]["policy_sha"] == release_tip and out["decision"]["action"] != "approve"


def test_loosening_on_main_after_the_fork_also_follows_the_tip(tmp_path: Path) -> None:
    """The rule cuts both ways: the policy in force is the target's, not the fork point's."""
    repo, _, _ = make_repo(tmp_path, {"docs/guide.md": "# Guide\n\nText.\n", ".quorum.yml": EXCLUDE_ALICE},
                           {"docs/guide.md": "# Guide\n\nClearer text.\n"}, title="docs: clarify",
                           body="Rewords the guide.", author="alice")
    assert review(repo, tmp_path, "--base", "main", "--no-log")["decision"]["action"] != "approve"
    tighten(repo, "main", {".quorum.yml": "version: 1\n"})
    assert review(repo, tmp_path, "--base", "main", "--no-log")["decision"]["action"] == "approve"


def test_invalid_policy_at_the_tip_is_a_one_line_error(tmp_path: Path) -> None:
    repo, _, _ = forked(tmp_path)
    tighten(repo, "main", {".quorum.yml": "version: 1\nauto_aprove: {}\n"})
    proc = quorum("review", "--repo", str(repo), "--base", "main", "--no-log", tmp_path=tmp_path)
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.startswith("quorum: error:") and "auto_aprove" in proc.stderr and proc.stderr.count("\n") == 1


def test_head_on_the_target_branch_uses_the_parent_for_both(tmp_path: Path) -> None:
    repo, _, _ = forked(tmp_path)
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"docs/guide.md": "# Guide\n\nOn main.\n"})
    parent = git(repo, "rev-parse", "HEAD")
    commit(repo, "docs: on main")
    out = review(repo, tmp_path, "--no-log")
    assert out["pr"]["base_sha"] == out["pr"]["policy_sha"] == parent
