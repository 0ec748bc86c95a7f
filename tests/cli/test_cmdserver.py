"""The review command server: a review through it prints what the same review prints in
process, and the client runs the review itself when no server listens."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from served_helpers import server_env, stable

from bot.testing.gitrepo import make_repo

CLIENT = "from bot.cli.entry import main; main()"


def _review(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLIENT, "review", "--repo", str(repo), "--format", "json", "--no-log"],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED and fd passing as on Linux")
def test_review_through_the_server_matches_the_review_in_process(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title="feat: debug")
    env = server_env(tmp_path)
    here = _review(repo, env)  # no server yet: runs in process
    assert here.returncode == 0, here.stderr
    from bot.cli.cmdserver import socket_path

    sock = socket_path(env)
    server = subprocess.Popen([sys.executable, "-m", "bot.cli.cmdserver", str(sock), "60"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not sock.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        assert sock.exists(), server.stderr.read().decode() if server.poll() is not None else "server did not listen"
        served = _review(repo, env)
        assert served.returncode == 0, served.stderr
        assert stable(served.stdout) == stable(here.stdout)
        assert "lint/ruff/t100" in served.stdout
        t = json.loads(served.stdout)["timings"]
        assert t["startup_ms"] > 0 and t["wall_ms"] >= t["total_ms"]
        bad = subprocess.run([sys.executable, "-c", CLIENT, "review", "--repo", str(tmp_path / "nowhere")],
                             capture_output=True, text=True, env=env, timeout=120)
        assert bad.returncode == 2 and bad.stderr.startswith("quorum: error:") and bad.stderr.count("\n") == 1
        off = _review(repo, dict(env, QUORUM_SERVER="0"))
        assert off.returncode == 0 and stable(off.stdout) == stable(here.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()  # type: ignore[union-attr]
    assert not sock.exists()
    shutil.rmtree(sock.parent.parent, ignore_errors=True)


def test_the_probe_finds_a_socket_file_and_nothing_else(tmp_path: Path) -> None:
    from bot.cli.serverprobe import runtime_dir, socket_present

    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert runtime_dir(env) == str(tmp_path / "quorum")
    assert not socket_present(env)  # no directory
    (tmp_path / "quorum").mkdir()
    (tmp_path / "quorum" / "review-abc.pid").write_text("1")
    assert not socket_present(env)
    (tmp_path / "quorum" / "review-abc.sock").write_text("")
    assert socket_present(env)
    assert runtime_dir({"XDG_RUNTIME_DIR": str(tmp_path / "missing")}) == f"/tmp/quorum-{os.getuid()}"


def test_without_a_server_the_client_imports_no_server_code(tmp_path: Path) -> None:
    """A plain ``quorum review`` with no server started decides with one listdir: the client
    module (socket, hashlib, json) is not imported."""
    code = ("import sys, os\n"
            "import bot.cli.main\n"
            "sys.argv = ['quorum', 'review', '--help']\n"
            "import bot.cli.entry as e\n"
            "os._exit = lambda code: (sys.stderr.write(str('bot.cli.cmdserver' in sys.modules or "
            "'bot.cli.cmdclient' in sys.modules)), sys.exit(0))\n"
            "e.main()\n")
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path))
    env.pop("QUORUM_SERVER", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stderr.strip().endswith("False"), proc.stderr[-500:]


def test_the_client_imports_only_what_a_bare_start_has() -> None:
    """The client's modules add built-in C modules only: no socket.py, json, re, enum, typing,
    hashlib or pathlib before the hand-over."""
    code = ("import sys; before = set(sys.modules)\n"
            "import bot.cli.entry, bot.cli.cmdclient as c\n"
            "c.socket_path({'XDG_RUNTIME_DIR': '/nonexistent'})\n"
            "print(' '.join(sorted(set(sys.modules) - before)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    added = set(proc.stdout.split())
    assert not added & {"socket", "json", "re", "enum", "typing", "hashlib", "pathlib", "struct", "selectors"}, added
    assert {m for m in added if not m.startswith("bot")} <= {"__future__", "_socket", "_sha256", "_sha2", "_signal"}


def test_a_request_header_comes_back_as_it_was_sent() -> None:
    from bot.cli.cmdclient import decode_request, encode_request

    env = {"PATH": "/usr/bin", "EMPTY": "", "EQ": "a=b=c", "ODD": "caf\udce9", "UNI": "\u00e9\u2603"}
    argv = ["review", "--repo", "/tmp/r e", "", "--title", "x\ny=z"]
    for age in (None, 0.012345678901234567):
        got = decode_request(encode_request(argv, "/tmp/d\udcff", env, age, 1765100000.123456))
        assert got == {"argv": argv, "cwd": "/tmp/d\udcff", "env": env, "age_at_entry": age,
                       "entry_wall": 1765100000.123456}
    with pytest.raises(ValueError):
        encode_request(["a\0b"], "/", {}, None, 0.0)
    for junk in (b"", b"quorum-review-request-1\0/\0\0\0x0", b"quorum-review-request-2\0/\0\00\09\0a",
                 b"quorum-review-request-2\0/\0\00\00\0NOEQUALS"):
        with pytest.raises(ValueError):
            decode_request(junk)


def test_preload_builds_what_a_review_would_build_on_first_use() -> None:
    """The server's children inherit the registry, every secret detector, the Unicode property
    patterns and every prompt-injection pattern instead of building them per review (a served
    child opens none of the CLI's per-user caches)."""
    code = (
        "from bot.cli import cmdserver\n"
        "cmdserver.preload()\n"
        "from bot.core import injection, registry, sanitize, sensitive, unicode_text\n"
        "assert registry.default_registry.cache_info().currsize == 1\n"
        "assert sensitive._renovate_sources.cache_info().currsize == 1\n"
        "from bot.core import treesitter\n"
        "before = treesitter.query.cache_info()\n"
        "for language, pattern in cmdserver._static_queries():\n"
        "    treesitter.query(language, pattern)\n"
        "assert treesitter.query.cache_info().misses == before.misses, 'a static query was not compiled by preload'\n"
        "from subagents import _syntax\n"
        "assert len(cmdserver._static_queries()) == 12 + len(_syntax.static_queries())\n"
        "assert sanitize._detector.cache_info().currsize == len(sanitize._DS_DETECTORS)\n"
        "assert unicode_text._re.cache_info().currsize == 1\n"
        "assert injection._regex.cache_info().currsize >= len(injection._COMPILED)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_served_review_imports_nothing_the_preload_did_not(tmp_path: Path) -> None:
    """After :func:`preload`, reviews as a served child runs them (JSON, text and SARIF output, the
    decision log on, agents in one process and forked into two) import no module: every import
    there is paid again by every served review."""
    repo, _, _ = make_repo(tmp_path, {"a.py": "def f(x):\n    return x\n", "b.js": "export const a = 1;\n"},
                           {"a.py": "def f(x, y=0):\n    return x + y\n", "b.js": "export const a = 2;\n",
                            "README.md": "# notes\n"}, title="feat: add y")
    code = (
        "import sys\n"
        "from bot.cli import cmdserver, main\n"
        "cmdserver.preload()\n"
        "before = set(sys.modules)\n"
        "args = ['quorum', 'review', '--repo', sys.argv[1], '--format']\n"
        "for fmt, procs in (('json', '1'), ('text', '1'), ('sarif', '2')):\n"
        "    import os; os.environ['QUORUM_AGENT_PROCS'] = procs\n"
        "    assert main.run([*args, fmt]) in (0, 1), fmt\n"
        "print('NEW', sorted(set(sys.modules) - before))\n"
    )
    env = server_env(tmp_path)
    out = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "NEW []"


@pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED and fd passing as on Linux")
def test_server_start_inside_a_repository_imports_none_of_its_packages(tmp_path: Path) -> None:
    """``quorum server start`` run in a repository whose top level holds a package named like one
    the server imports (``typer``, ``pydantic``) runs none of it: the server starts with ``-P``, so
    ``-m`` does not put the working directory on ``sys.path``. Before, it imported the
    repository's ``pydantic`` and died."""
    repo = tmp_path / "repo"
    marker = tmp_path / "ran"
    for name in ("typer", "pydantic", "yaml"):
        (repo / name).mkdir(parents=True)
        (repo / name / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit(9)\n")
    env = server_env(tmp_path)
    start = [sys.executable, "-P", "-c", CLIENT.replace("entry", "main"), "server"]
    try:
        out = subprocess.run([*start, "start", "--idle", "60"], cwd=repo, capture_output=True, text=True, env=env,
                             timeout=150)
        assert out.returncode == 0, out.stderr
        assert "listening at" in out.stdout
        assert not marker.exists()
    finally:
        subprocess.run([*start, "stop"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    shutil.rmtree(Path(env["XDG_RUNTIME_DIR"]), ignore_errors=True)


def test_a_server_that_dies_before_listening_is_a_one_line_error(tmp_path: Path) -> None:
    """When the server process exits before it listens, ``quorum server start`` says so at once, with
    the last line of its log, instead of waiting out the start time."""
    env = server_env(tmp_path, PYTHONPATH=str(tmp_path / "shadow"))
    shadow = tmp_path / "shadow" / "tree_sitter"  # imported by the server's preload, not by `server start`
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise RuntimeError('broken grammar for the test')\n")
    out = subprocess.run([sys.executable, "-P", "-c", CLIENT.replace("entry", "main"), "server", "start"],
                         cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("quorum: error: the server exited with status 1 before listening: RuntimeError: broken grammar")
    assert out.stderr.count("\n") == 1
    shutil.rmtree(Path(env["XDG_RUNTIME_DIR"]), ignore_errors=True)


def test_a_served_child_reviews_with_the_one_shot_collector_policy(tmp_path: Path) -> None:
    """The server's forked child pauses the collector for good before the review, so the review's
    ``gcstart.resume`` sets what is alive aside and collects nothing automatically (youngest
    generation threshold 0), instead of leaving CPython's default of 700."""
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x")
    code = (
        "import gc, json, os, socket, sys\n"
        "from bot.cli import cmdserver, gcstart\n"
        "seen = {}\n"
        "original = gcstart.resume\n"
        "def spy():\n"
        "    seen['paused'] = not gc.isenabled()\n"
        "    result = original()\n"
        "    seen['threshold'] = gc.get_threshold()[0]\n"
        "    sys.stderr.write('GC ' + json.dumps(seen) + '\\n')\n"
        "    return result\n"
        "gcstart.resume = spy\n"
        "ours, theirs = socket.socketpair()\n"
        "request = {'argv': ['review', '--repo', sys.argv[1], '--format', 'json', '--no-log'], 'cwd': sys.argv[1],\n"
        "           'env': dict(os.environ), 'age_at_entry': None, 'entry_wall': 0.0}\n"
        "cmdserver._child(ours, [os.dup(0), os.dup(1), os.dup(2)], request)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True, env=server_env(tmp_path),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("GC "))
    assert json.loads(line[3:]) == {"paused": True, "threshold": 0}  # one review, then os._exit: no collection
    assert json.loads(out.stdout)["decision"]["action"]
