"""Terminal rough edges, each with a regression test: width follows the terminal, piped output
does not wrap, broken pipes exit quietly, local reviews are logged as owner/name, and headers stay
truthful when a diff is truncated."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from bot.adapters.gitlocal import LocalGitSource
from bot.audit import DecisionStore, record_from_result
from bot.core.diff import parse_diff
from bot.core.models import Action, Decision, Finding, PullRequestInfo, ReviewResult, Status, Timings, Verdict
from bot.core.repoid import github_slug, repo_identity, repo_uri
from bot.render.text import size_phrase
from bot.testing.gitrepo import commit, git, make_repo, write_files

ROOT = Path(__file__).resolve().parents[2]


def quorum(*args: str, tmp_path: Path, **kw) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("QUORUM_DATABASE_URL", None)
    env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=120, **kw)


# ------------------------------------------------------------------ width


def test_piped_output_does_not_wrap(tmp_path: Path) -> None:
    title = "Refactor the parser so that every caller gets the same error message " * 3
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title=title.strip())
    proc = quorum("review", "--repo", str(repo), "--no-log", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0]
    assert header.startswith(title.strip()) and header.endswith("1 file, +1/-0")  # one line, > 200 columns
    finding = next(line for line in proc.stdout.splitlines() if "lint/ruff/t100" in line)
    assert "a.py:2" in finding


def _in_pty(code: str, columns: int) -> str:
    """Run ``python -c code`` with stdout on a pseudo-terminal ``columns`` wide; return its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=slave, stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_width_follows_the_terminal() -> None:
    code = ("from bot.cli.common import make_console\n"
            "c = make_console()\n"
            "print('WIDTH', c.width, c.is_terminal)\n"
            "c.print('word ' * 60)\n")
    out = _in_pty(code, 57)
    assert "WIDTH 57 True" in out
    lines = [ln for ln in out.replace("\r", "").splitlines() if ln.startswith("word")]
    assert len(lines) > 1 and all(len(ln.rstrip()) <= 57 for ln in lines)  # wrapped at the terminal's width


# ------------------------------------------------------------------ broken pipe


def _result(i: int) -> ReviewResult:
    finding = Finding.make(rule_id="lint/ruff/t100", agent="anti_patterns", severity="major", message="x" * 400,
                           path="a.py", line=1)
    return ReviewResult(
        pr=PullRequestInfo(repo="acme/widgets", number=i, base_sha="a" * 40, head_sha=f"{i:040x}"),
        verdicts=[Verdict(agent="anti_patterns", status=Status.concern, risk=0.5, confidence=0.9, findings=[finding])],
        decision=Decision(action=Action.comment, reasons=[], risk=0.5, policy_version="sha256:" + "0" * 64,
                          decision_id=f"D{i:016x}"),
        timings=Timings(),
    )


def test_broken_pipe_exits_quietly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    store = DecisionStore(url)
    for i in range(300):  # ~300 KB of JSON Lines: far more than a pipe buffer
        store.append(record_from_result(_result(i)))
    store.close()
    env = {k: v for k, v in os.environ.items() if k != "QUORUM_DATABASE_URL"}
    cmd = f"{sys.executable} -m bot.cli.main audit export --database-url '{url}' | head -n 1; echo \"rc=${{PIPESTATUS[0]}}\""
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    lines = proc.stdout.splitlines()
    assert json.loads(lines[0])["seq"] == 1
    assert lines[-1] == "rc=141"
    assert proc.stderr == ""  # no "Broken pipe", no traceback, no "Exception ignored"


# ------------------------------------------------------------------ repository identity


def test_github_remote_forms() -> None:
    for url in ("https://github.com/acme/widgets.git", "https://github.com/acme/widgets", "git@github.com:acme/widgets.git",
                "ssh://git@github.com:22/acme/widgets.git", "https://user:tok@github.com/acme/widgets.git"):
        assert github_slug(url) == "acme/widgets", url
    for url in ("https://gitlab.com/acme/widgets.git", "/srv/git/widgets.git", "https://github.com/acme",
                "https://github.com/acme/widgets/tree/main", "git@github.com:acme/wid gets.git"):
        assert github_slug(url) is None, url
    assert repo_identity("/src/w", {"upstream": "git@github.com:up/w.git", "origin": "https://github.com/me/w"}) == "me/w"
    assert repo_identity("/src/w", {"origin": "https://gitlab.com/me/w"}) == "/src/w"
    assert repo_uri("me/w") == "https://github.com/me/w" and repo_uri("/src/w") == "file:///src/w"


def test_audit_list_by_owner_name_finds_local_reviews(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="tweak")
    git(repo, "remote", "add", "origin", "https://github.com/acme/widgets.git")
    other, _, _ = make_repo(tmp_path, {"b.py": "y = 1\n"}, {"b.py": "y = 2\n"}, title="other", name="plain")
    for path in (repo, other):
        proc = quorum("review", "--repo", str(path), "--format", "json", tmp_path=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pr"]["repo"] == str(other.resolve())  # no GitHub remote: the path
    listed = quorum("audit", "list", "--repo", "acme/widgets", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "1 record(s)" in listed.stdout and "acme/widgets" in listed.stdout
    by_path = quorum("audit", "list", "--repo", str(other.resolve()), tmp_path=tmp_path)
    assert "1 record(s)" in by_path.stdout


# ------------------------------------------------------------------ truncated diffs


def test_truncated_header_counts_the_whole_diff(tmp_path: Path) -> None:
    big = "".join(f"v{i} = {i}\n" for i in range(300_000))
    repo, _, _ = make_repo(tmp_path, {"small.py": "a = 1\n"}, {"small.py": "a = 2\n", "data/big.py": big},
                           title="Add a generated table")
    snap = LocalGitSource(repo, base="main", head="feature").snapshot()
    try:
        stats = snap.diff.stats()
    finally:
        snap.close()
    assert snap.diff.truncated
    assert stats["files"] == 2 and stats["additions"] == 300_001 and stats["deletions"] == 1
    assert stats["whole_known"] == 1 and stats["reviewed_changed_lines"] < 300_000
    assert size_phrase(stats).startswith("2 files, +300001/-1 (truncated: reviewed ")


def test_byte_capped_diff_is_sized_by_numstat(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "a = 1\n"}, {"a.py": "".join(f"a{i} = {i}\n" for i in range(5000)),
                                                         "b.bin": b"\0\1\2"}, title="grow")
    snap = LocalGitSource(repo, base="main", head="feature", max_diff_bytes=1000).snapshot()
    snap.close()
    stats = snap.diff.stats()
    assert snap.diff.truncated and snap.diff.files == []  # nothing parsed: the first file alone is too big
    assert (stats["files"], stats["additions"], stats["deletions"]) == (2, 5000, 1)
    assert "0 files, +0/-0" not in size_phrase(stats)


def test_parse_caps_keep_the_whole_size_and_untruncated_stats_are_unchanged() -> None:
    text = "".join(
        f"diff --git a/f{i}.py b/f{i}.py\n--- a/f{i}.py\n+++ b/f{i}.py\n@@ -1 +1,2 @@\n x\n+y{i}\n" for i in range(5)
    )
    capped = parse_diff(text, max_files=2)
    assert capped.stats()["files"] == 5 and capped.stats()["reviewed_files"] == 2
    whole = parse_diff(text)
    assert whole.stats() == {"files": 5, "additions": 5, "deletions": 0, "changed_lines": 5}
    assert size_phrase(whole.stats()) == "5 files, +5/-0"
    assert size_phrase({"files": 1, "additions": 9, "deletions": 0, "truncated": 1, "whole_known": 0,
                        "reviewed_files": 0, "reviewed_changed_lines": 0}).startswith("at least 1 file, +9/-0")
