"""The one git runner: the environment of a git hook, a hostile global or repository config, or a
caller mistake can neither redirect a review to another repository nor run a program.

Most cases go through the real CLI (``quorum review`` as a process). Each "program" is a shell
script that creates a marker file; a control step shows that plain git really runs it, so the
assertion that the review did not is meaningful.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.gitrun import CALLER_ENV, GitError, git_command, git_env, run_git
from bot.testing.gitrepo import commit, git, make_repo, write_files


def quorum(*args: str, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"))
    full.pop("QUORUM_DATABASE_URL", None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=full, timeout=120
    )


def two_repos(tmp_path: Path) -> tuple[tuple[Path, str, str], tuple[Path, str, str]]:
    a = make_repo(tmp_path, {"a.md": "a\n"}, {"a.md": "a\nmore a\n"}, title="docs: a", name="a")
    b = make_repo(tmp_path, {"b.md": "b\n"}, {"b.md": "b\nmore b\n"}, title="docs: b", name="b")
    return a, b


def marker_script(tmp_path: Path, name: str = "evil.sh") -> tuple[Path, Path]:
    """A program that records that it ran (and behaves as cat for textconv/filters)."""
    marker = tmp_path / f"{name}.ran"
    script = tmp_path / name
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat "$1" 2>/dev/null || cat\nexit 0\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, marker


def test_git_dir_in_the_environment_does_not_redirect_the_review(tmp_path: Path) -> None:
    (a, a_base, a_head), (b, _, b_head) = two_repos(tmp_path)
    proc = quorum("review", "--repo", str(a), "--base", "HEAD~1", "--format", "json", "--no-log",
                  tmp_path=tmp_path, env={"GIT_DIR": str(b / ".git")})
    assert proc.returncode == 0, proc.stderr
    pr = json.loads(proc.stdout)["pr"]
    assert (pr["base_sha"], pr["head_sha"]) == (a_base, a_head)
    assert pr["title"] == "docs: a" and b_head != a_head


@pytest.mark.parametrize("var", ["GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"])
def test_other_repository_variables_are_scrubbed(tmp_path: Path, var: str) -> None:
    (a, a_base, a_head), (b, _, _) = two_repos(tmp_path)
    value = {"GIT_WORK_TREE": str(b), "GIT_INDEX_FILE": str(b / ".git" / "index"),
             "GIT_OBJECT_DIRECTORY": str(b / ".git" / "objects"), "GIT_COMMON_DIR": str(b / ".git")}[var]
    proc = quorum("review", "--repo", str(a), "--base", "HEAD~1", "--format", "json", "--no-log",
                  tmp_path=tmp_path, env={var: value, "GIT_DIR": str(b / ".git")})
    assert proc.returncode == 0, proc.stderr
    pr = json.loads(proc.stdout)["pr"]
    assert (pr["base_sha"], pr["head_sha"]) == (a_base, a_head)


def test_a_directory_that_is_not_a_repository_is_an_error_not_the_hook_repository(tmp_path: Path) -> None:
    (_, _, _), (b, _, _) = two_repos(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = quorum("review", "--repo", str(plain), "--no-log", tmp_path=tmp_path, env={"GIT_DIR": str(b / ".git")})
    assert proc.returncode != 0
    assert proc.stderr.startswith("quorum: error:") and "not a git repository" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_environment_config_and_external_diff_run_nothing(tmp_path: Path) -> None:
    (a, a_base, a_head), _ = two_repos(tmp_path)
    script, marker = marker_script(tmp_path)
    hostile = {
        "GIT_EXTERNAL_DIFF": str(script),
        "GIT_PAGER": str(script),
        "PAGER": str(script),
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": str(script),
        "GIT_CONFIG_KEY_1": "diff.external", "GIT_CONFIG_VALUE_1": str(script),
        "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{script}'",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "global.gitconfig"),
        "GIT_EXEC_PATH": str(tmp_path / "no-such-exec-path"),
    }
    (tmp_path / "global.gitconfig").write_text(f"[core]\n\tfsmonitor = {script}\n[diff]\n\texternal = {script}\n")
    # Control: plain git with this environment does run the program.
    subprocess.run(["git", "-C", str(a), "diff", a_base, a_head], env={**os.environ, **hostile, "GIT_EXEC_PATH": ""},
                   capture_output=True, check=False)
    assert marker.exists()
    marker.unlink()
    proc = quorum("review", "--repo", str(a), "--base", "HEAD~1", "--format", "json", "--no-log",
                  tmp_path=tmp_path, env=hostile)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pr"]["head_sha"] == a_head
    assert not marker.exists(), marker.read_text()


def test_repository_config_and_attributes_run_nothing(tmp_path: Path) -> None:
    script, marker = marker_script(tmp_path)
    repo, base, _ = make_repo(tmp_path, {"app.py": "x = 1\n", ".gitattributes": "* diff=evil filter=evil\n"},
                              {"app.py": "x = 2\n"}, title="fix: x")
    for key, value in [
        ("core.fsmonitor", str(script)),
        ("diff.external", str(script)),
        ("diff.evil.textconv", str(script)),
        ("diff.evil.command", str(script)),
        ("filter.evil.clean", str(script)),
        ("filter.evil.smudge", str(script)),
        ("filter.evil.process", str(script)),
        ("log.showSignature", "true"),
        ("gpg.program", str(script)),
        ("core.pager", str(script)),
        ("core.hooksPath", str(tmp_path / "hooks")),
    ]:
        git(repo, "config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "post-commit", "reference-transaction", "pre-commit"):
        (hooks / hook).symlink_to(script)
    # A signed-looking head commit makes ``log.showSignature`` reach for gpg.program.
    write_files(repo, {"app.py": "x = 3\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "fix: x again\n\n-----BEGIN PGP SIGNATURE-----\n")
    assert not marker.exists(), "the test's own git calls must not run it either"
    # Control: plain git in this repository runs the program (textconv / external diff / fsmonitor).
    subprocess.run(["git", "-C", str(repo), "diff", base, "HEAD"], capture_output=True, check=False,
                   env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, check=False,
                   env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    assert marker.exists()
    marker.unlink()
    proc = quorum("review", "--repo", str(repo), "--base", "main", "--format", "json", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), marker.read_text()
    # The log and replay paths (history, blame-style reads) use the same runner.
    run_git(repo, "log", "-p", "-2")
    run_git(repo, "show", "HEAD")
    run_git(repo, "blame", "app.py")
    assert not marker.exists(), marker.read_text()


def test_a_hostile_commit_is_still_made_without_hooks(tmp_path: Path) -> None:
    """The fixture/eval commit path (bot.testing.gitrepo) runs no hook even when one is installed."""
    script, marker = marker_script(tmp_path)
    repo, _, _ = make_repo(tmp_path, {"a": "1\n"}, {"a": "2\n"})
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for hook in ("pre-commit", "commit-msg", "post-commit", "reference-transaction"):
        (hooks / hook).symlink_to(script)
    git(repo, "config", "--unset", "core.hooksPath")
    write_files(repo, {"a": "3\n"})
    commit(repo, "third")
    assert not marker.exists()


def test_git_env_drops_every_git_variable_and_refuses_unknown_caller_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_SOMETHING_NEW", "x")
    monkeypatch.setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", "/elsewhere/objects")
    monkeypatch.setenv("EDITOR", "evil")
    env = git_env({"GIT_AUTHOR_NAME": "A"})
    assert "GIT_DIR" not in env and "GIT_SOMETHING_NEW" not in env and "EDITOR" not in env
    assert "GIT_ALTERNATE_OBJECT_DIRECTORIES" not in env
    assert env["GIT_CONFIG_GLOBAL"] == "/dev/null" and env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_AUTHOR_NAME"] == "A"
    with pytest.raises(ValueError, match="GIT_DIR may not be set"):
        git_env({"GIT_DIR": "/elsewhere"})
    assert "GIT_DIR" not in CALLER_ENV


def test_command_names_the_repository_and_disables_drivers() -> None:
    cmd = git_command("/r", ["diff", "a", "b"])
    assert cmd[:4] == ["git", "--no-pager", "-C", "/r"]
    i = cmd.index("diff")
    assert cmd[i + 1:i + 3] == ["--no-ext-diff", "--no-textconv"]
    assert "core.fsmonitor=false" in cmd and "core.hooksPath=/dev/null" in cmd
    with pytest.raises(ValueError):
        git_command("/r", ["--git-dir=/x", "log"])
    with pytest.raises(ValueError):
        git_command("/r", [])


def test_failure_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(GitError) as err:
        run_git(tmp_path, "rev-parse", "--verify", "nope")
    assert str(err.value).startswith("git rev-parse failed:") and "\n" not in str(err.value)


def test_caller_config_cannot_replace_the_safe_settings(tmp_path: Path) -> None:
    from bot.adapters.gitrun import SAFE_CONFIG, _command

    cmd = _command(tmp_path, ["fetch", "x"], ["core.hooksPath=/tmp/evil", "fetch.unpackLimit=1"])
    settings = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-c"]
    # git applies -c settings in order, the last one of a key wins: SAFE_CONFIG comes after the caller's
    assert settings.index("core.hooksPath=/tmp/evil") < len(settings) - 1 - settings[::-1].index("core.hooksPath=/dev/null")
    assert "fetch.unpackLimit=1" in settings and settings[-len(SAFE_CONFIG):] == list(SAFE_CONFIG)
