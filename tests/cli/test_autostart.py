"""``quorum review`` leaves a command server behind for the next reviews (bot.cli.autostart)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_helpers import server_env, stable

from bot.cli.autostart import AUTOSTART_ENV, start_after_review, wanted
from bot.cli.cmdserver import hold_lock, pid_file, socket_path
from bot.testing.gitrepo import make_repo

CLIENT = "from bot.cli.entry import main; main()"
LINUX = pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED and fd passing as on Linux")


def test_wanted_only_on_linux_outside_ci_and_unless_turned_off() -> None:
    assert wanted({}, platform="linux")
    assert not wanted({}, platform="darwin")
    for off in ("0", "no", "OFF", " false "):
        assert not wanted({"QUORUM_SERVER": off}, platform="linux")
        assert not wanted({AUTOSTART_ENV: off}, platform="linux")
        assert wanted({"CI": off}, platform="linux")  # CI=false: not a CI job
    for ci in ("true", "1", "yes", "woodpecker"):
        assert not wanted({"CI": ci}, platform="linux")
    assert wanted({"CI": ""}, platform="linux")
    assert not wanted({"TF_BUILD": "True"}, platform="linux")  # Azure Pipelines
    assert not wanted({"JENKINS_URL": "http://ci.example.invalid/"}, platform="linux")
    assert wanted({"TF_BUILD": "", "JENKINS_URL": ""}, platform="linux")
    assert wanted({"QUORUM_SERVER": "1", AUTOSTART_ENV: "1"}, platform="linux")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = server_env(tmp_path, **extra)
    for name in ("QUORUM_SERVER", AUTOSTART_ENV, "CI"):
        if name not in extra:
            env.pop(name, None)
    return env


def _review(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLIENT, "review", "--repo", str(repo), "--format", "json", "--no-log"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def _wait_for(path: Path, seconds: float = 90.0) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.exists()


@contextlib.contextmanager
def _server_scope(tmp_path: Path, **extra: str) -> Iterator[tuple[dict[str, str], Path]]:
    """A test's environment (:func:`_env`) and the socket path of its server; on leaving, the server a
    review started, if any, is stopped and the runtime directory removed (:func:`_stop`)."""
    env = _env(tmp_path, **extra)
    sock = socket_path(env)
    try:
        yield env, sock
    finally:
        _stop(env, sock)


def _stop(env: dict[str, str], sock: Path) -> None:
    """Stop the server a test's review started, if one was spawned (its log file exists): once it
    has written its pid file, SIGTERM, then wait for it to remove that file."""
    if sock.with_suffix(".log").exists():
        _wait_for(pid_file(sock))
    try:
        pid = int(pid_file(sock).read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass
    deadline = time.monotonic() + 30
    while pid_file(sock).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    shutil.rmtree(Path(env["XDG_RUNTIME_DIR"]), ignore_errors=True)


@LINUX
def test_a_review_leaves_a_server_that_serves_the_next_review_the_same(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title="feat: debug")
    with _server_scope(tmp_path) as (env, sock):
        first = _review(repo, env)  # no server: runs in process, then starts one
        assert first.returncode == 0, first.stderr
        assert first.stderr == ""  # not a terminal: no notice
        assert json.loads(first.stdout)["timings"]["start_cpu_ms"] > 0  # this process imported Quorum
        assert _wait_for(sock), sock.with_suffix(".log").read_text()
        pid = pid_file(sock).read_text()
        # the server was told the first review's repository, head and index cache: its first warm state
        cache = Path(env["QUORUM_CACHE_DIR"]) / "index"
        assert _cmdline(pid).endswith(f" {repo.resolve()} HEAD {cache} "), _cmdline(pid)
        served = _review(repo, env)
        assert served.returncode == 0, served.stderr
        assert json.loads(served.stdout)["timings"]["start_cpu_ms"] == 0.0  # the server's child ran it
        assert stable(served.stdout) == stable(first.stdout)
        again = _review(repo, dict(env, QUORUM_SERVER="0"))  # in process again; and no second server
        assert again.returncode == 0 and stable(again.stdout) == stable(first.stdout)
        assert json.loads(again.stdout)["timings"]["start_cpu_ms"] > 0
        assert pid_file(sock).read_text() == pid


@LINUX
@pytest.mark.parametrize("extra", [{"CI": "true"}, {AUTOSTART_ENV: "0"}, {"QUORUM_SERVER": "off"}])
def test_no_server_in_ci_or_when_turned_off(tmp_path: Path, extra: dict[str, str]) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with _server_scope(tmp_path, **extra) as (env, sock):
        done = _review(repo, env)
        assert done.returncode == 0, done.stderr
        # The server would have been spawned (its log opened) before the review's process exited.
        assert not sock.with_suffix(".log").exists() and not pid_file(sock).exists()


@LINUX
def test_a_failed_review_starts_no_server(tmp_path: Path) -> None:
    with _server_scope(tmp_path) as (env, sock):
        bad = subprocess.run([sys.executable, "-c", CLIENT, "review", "--repo", str(tmp_path / "nowhere")],
                             capture_output=True, text=True, env=env, timeout=120, check=False)
        assert bad.returncode == 2 and bad.stderr.startswith("quorum: error:")
        assert not sock.with_suffix(".log").exists()


@LINUX
def test_a_stale_socket_is_replaced_and_a_live_server_is_not(tmp_path: Path) -> None:
    pid = None
    with _server_scope(tmp_path) as (env, sock):
        sock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sock.write_text("")  # a dead server's socket file, no pid file
        pid = start_after_review(env, notice=False)
        assert pid is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (sock.is_socket() and pid_file(sock).exists()):
            time.sleep(0.1)
        assert sock.is_socket(), sock.with_suffix(".log").read_text()
        assert int(pid_file(sock).read_text()) == pid
        assert start_after_review(env, notice=False) is None  # it runs: none started
    if pid is not None:
        os.waitpid(pid, 0)  # this test's process spawned it (and the scope stopped it): collect it


def test_the_server_lock_admits_one_process(tmp_path: Path) -> None:
    sock = tmp_path / "review-x.sock"
    fd = hold_lock(sock)
    assert fd is not None
    code = ("import sys; from pathlib import Path; from bot.cli.cmdserver import hold_lock; "
            "sys.exit(0 if hold_lock(Path(sys.argv[1])) is None else 1)")
    try:
        assert subprocess.run([sys.executable, "-c", code, str(sock)], timeout=60, check=False).returncode == 0  # taken
    finally:
        os.close(fd)
    assert subprocess.run([sys.executable, "-c", code, str(sock)], timeout=60, check=False).returncode == 1  # free again


@LINUX
def test_a_terminal_is_told_once(tmp_path: Path) -> None:
    import pty

    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with _server_scope(tmp_path) as (env, _sock):
        master, slave = pty.openpty()
        try:
            done = subprocess.run([sys.executable, "-c", CLIENT, "review", "--repo", str(repo), "--no-log"],
                                  stdout=subprocess.PIPE, stderr=slave, env=env, timeout=120, check=False)
            assert done.returncode == 0
            os.close(slave)
            told = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the writer side is closed and everything was read
                    break
                if not chunk:
                    break
                told += chunk
            assert told.count(b"started a review server in the background") == 1, told
            assert AUTOSTART_ENV.encode() in told
        finally:
            os.close(master)


@LINUX
def test_two_starts_at_once_give_one_server_and_both_report_it(tmp_path: Path) -> None:
    """The second start's server finds the lock taken and exits 0; that start waits for the first one's socket."""
    start = [sys.executable, "-P", "-c", "from bot.cli.main import main; main()", "server", "start", "--idle", "60"]
    with _server_scope(tmp_path) as (env, sock):
        procs = [subprocess.Popen(start, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
                 for _ in range(2)]
        outs = [p.communicate(timeout=150) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
        assert all("listening at" in o[0] or "already running" in o[0] for o in outs), outs
        pid = int(pid_file(sock).read_text())
        time.sleep(1.0)  # a second server that lost the lock has exited by now
        ours = {int(n) for n in os.listdir("/proc") if n.isdigit() and f"bot.cli.cmdserver {sock}" in _cmdline(n)}
        servers = {n for n in ours if _parent(n) not in ours}  # not a spare or a review the server forked
        assert servers == {pid}, (servers, ours)


def _cmdline(pid: int | str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return int(stat[stat.rindex(b")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return -1
