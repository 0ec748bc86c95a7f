"""``quorum review`` end to end as a real process on real git repositories: output contract,
exit codes, one-line errors, and awkward input (binary, non-UTF-8, renames, deletions, mode
changes, symlinks, submodules, a 10,000-file diff)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot.testing.cli import review_json, run_quorum
from bot.testing.gitrepo import commit, git, make_repo


def quorum(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_quorum(*args, tmp_path=tmp_path)


def test_json_output_has_the_contract_keys_and_the_log_verifies(tmp_path: Path) -> None:
    repo, base, head = make_repo(
        tmp_path,
        {"docs/guide.md": "# Guide\n\nSome text.\n"},
        {"docs/guide.md": "# Guide\n\nSome clearer text.\n"},
        title="docs: clarify the guide",
        body="Rewords one sentence of the guide.",
    )
    out = review_json(repo, tmp_path)
    assert list(out) == ["pr", "verdicts", "decision", "timings"]
    assert (out["pr"]["base_sha"], out["pr"]["head_sha"]) == (base, head)
    assert [v["agent"] for v in out["verdicts"]] == ["intent", "safety", "logic", "anti_patterns", "execution_paths"]
    assert out["decision"]["action"] == "approve"
    assert out["decision"]["policy_version"].startswith("sha256:")
    verify = quorum("audit", "verify", tmp_path=tmp_path)
    assert verify.returncode == 0 and "verified 1 record, chain intact" in verify.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif"])
def test_other_formats(tmp_path: Path, fmt: str) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title="feat: debug")
    proc = quorum("review", "--repo", str(repo), "--format", fmt, "--no-log", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "lint/ruff/t100" in proc.stdout
    if fmt == "sarif":
        sarif = json.loads(proc.stdout)
        assert sarif["version"] == "2.1.0"
        assert any(r["ruleId"] == "lint/ruff/t100" for r in sarif["runs"][0]["results"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "/nonexistent/quorum-test"], "not a directory"),
        (["--repo", "{tmp}"], "not a git repository"),
        (["--repo", "{repo}", "--base", "no-such-ref"], "unknown ref"),
        (["--repo", "{repo}", "--head", "no-such-ref"], "unknown ref"),
        (["--repo", "{repo}", "--base", "HEAD", "--head", "HEAD"], "nothing to review"),
        (["--repo", "{repo}", "--policy", "{tmp}/missing.yml"], "cannot read policy file"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    plain = tmp_path / "plain"
    plain.mkdir()
    argv = [a.format(tmp=plain, repo=repo) for a in args]
    proc = quorum("review", *argv, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quorum: error: ") and message in lines[0]


def test_policy_with_unknown_key_names_the_valid_keys(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    policy = tmp_path / "p.yml"
    policy.write_text("auto_approve:\n  max_line: 3\n", encoding="utf-8")
    proc = quorum("review", "--repo", str(repo), "--policy", str(policy), "--no-log", tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "unknown key 'max_line'" in proc.stderr and "max_changed_lines" in proc.stderr


def test_awkward_files_are_reviewed_not_dropped_and_never_approved(tmp_path: Path) -> None:
    base = {
        "img.bin": b"\x00\x01\x02",
        "latin.txt": "caf\xe9\n".encode("latin-1"),
        "old_name.py": "def f():\n    return 1\n",
        "gone.py": "A = 1\n",
        "run.sh": "echo hi\n",
    }
    head = {
        "img.bin": b"\x00\x01\x03",
        "latin.txt": "caf\xe9s\n".encode("latin-1"),
        "old_name.py": None,
        "new_name.py": "def f():\n    return 1\n",
        "gone.py": None,
    }
    repo, _, _ = make_repo(tmp_path, base, head, title="chore: shuffle files", body="Moves and updates files.")
    (repo / "run.sh").chmod(0o755)
    os.symlink("new_name.py", repo / "link.py")
    sub_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "add", "-A")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub_sha},vendor/sub")
    git(repo, "commit", "-q", "--no-verify", "-m", "chore: shuffle files\n\nMoves and updates files.")
    out = review_json(repo, tmp_path, "--base", "main")
    assert out["decision"]["action"] != "approve"
    assert all(v["status"] != "abstain" for v in out["verdicts"]), [v["error"] for v in out["verdicts"]]
    rules = {f["rule_id"] for v in out["verdicts"] for f in v["findings"]}
    assert {"safety/binary-added", "safety/symlink", "safety/submodule-change", "safety/mode-change"} <= rules
    reasons = {r["rule_id"] for r in out["decision"]["reasons"]}
    assert "paths.special_files" in reasons


def test_ten_thousand_file_diff_completes_and_is_not_approved(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"README.md": "x\n"}, {"README.md": "y\n"})
    for i in range(10_000):
        (repo / "gen" / f"d{i % 100}").mkdir(parents=True, exist_ok=True)
        (repo / "gen" / f"d{i % 100}" / f"f{i}.txt").write_text(f"{i}\n", encoding="utf-8")
    commit(repo, "Add generated files")
    out = review_json(repo, tmp_path, "--base", "main", "--no-log")
    assert out["decision"]["action"] == "needs_human"
    assert any(v["truncated"] for v in out["verdicts"]) or any(
        r["rule_id"].startswith(("diff.", "verdicts.truncated")) for r in out["decision"]["reasons"]
    )


def test_profile_and_process_timings(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x is two")
    profile = tmp_path / "review.prof"
    proc = quorum("review", "--repo", str(repo), "--format", "json", "--no-log", "--profile", str(profile),
                  tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    t = json.loads(proc.stdout)["timings"]
    assert t["startup_ms"] > 0 and t["cli_ms"] > 0 and t["render_ms"] > 0
    assert t["wall_ms"] >= t["startup_ms"] + t["cli_ms"] + t["total_ms"]
    assert str(profile) in proc.stderr
    import pstats

    stats = pstats.Stats(str(profile))
    assert any(func[2] == "run_review" for func in stats.stats)  # type: ignore[attr-defined]


def test_unwritable_profile_is_a_one_line_error(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x is two")
    proc = quorum("review", "--repo", str(repo), "--no-log", "--profile", str(tmp_path / "no" / "such" / "p.prof"),
                  tmp_path=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "cannot write profile" in proc.stderr
