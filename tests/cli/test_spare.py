"""The command server's spare child (:mod:`bot.cli.spare`): it receives exactly the request and
descriptors handed to it, stops prefaulting when a request waits, exits when the server gives it
up, and a spare that cannot take a request leaves the server to fork a child for it."""

from __future__ import annotations

import gc
import os
import socket
import sys
import time

import pytest

from bot.cli import cmdclient
from bot.cli.spare import Spare, prefault, receive

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fd passing as on Linux")


def _wait(pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the spare did not exit")


def test_a_spare_runs_the_request_it_is_handed(tmp_path) -> None:  # noqa: ANN001
    """The spare gets the client's connection, its three descriptors and the request as sent."""
    header = cmdclient.encode_request(["review", "--repo", "x y"], "/some/dir", {"A": "1", "B": "é"}, 0.5, 12.0)
    out = tmp_path / "seen"

    def run(conn: socket.socket, fds: list[int], request: dict) -> None:
        conn.sendall(b"ok")
        os.write(fds[1], b"to stdout")
        out.write_text(repr((request["argv"], request["cwd"], request["env"], len(fds))))
        os._exit(0)

    spare = Spare.fork(run, cmdclient.decode_request, [])
    assert spare is not None
    client, server_end = socket.socketpair()
    r, w = os.pipe()
    assert spare.hand(server_end, [w, w, w], header)
    server_end.close()
    os.close(w)
    assert _wait(spare.pid) == 0
    assert client.recv(2) == b"ok"
    assert os.read(r, 100) == b"to stdout"
    assert out.read_text() == repr((["review", "--repo", "x y"], "/some/dir", {"A": "1", "B": "é"}, 3))
    assert spare.used
    client.close()
    os.close(r)


def test_a_spare_given_up_exits_and_cannot_take_a_request() -> None:
    ran = []
    spare = Spare.fork(lambda *a: ran.append(a), cmdclient.decode_request, [])
    assert spare is not None
    spare.stop()
    status = _wait(spare.pid)
    assert os.WIFEXITED(status) or os.WIFSIGNALED(status)
    assert not ran
    conn, other = socket.socketpair()
    with conn, other:
        assert not spare.hand(conn, [0, 1, 2], b"x")  # its channel is closed: the server forks instead


def test_prefault_stops_when_a_request_waits_and_refreezes() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        _prefault_twice(ours, theirs)


def _prefault_twice(ours: socket.socket, theirs: socket.socket) -> None:
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        assert prefault(theirs, batch=100, quiet_s=0) > 0
        assert gc.get_freeze_count() > 0
        ours.send(b"x")  # a request is waiting: nothing more is touched
        assert prefault(theirs, batch=100, quiet_s=0) == 0
        assert prefault(theirs, batch=100, quiet_s=5) == 0  # nor in the quiet wait: no 5 s spent
        assert gc.get_freeze_count() > 0
    finally:
        if not frozen:
            gc.unfreeze()


def test_receive_refuses_what_is_no_request() -> None:
    ours, theirs = socket.socketpair()
    with theirs:
        ours.sendall(b"\0\0\0\5hello")  # no descriptors with it
        assert receive(theirs) is None
        ours.close()
        assert receive(theirs) is None  # the server closed it


def _children_of(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid:
                out.append(int(name))
    return out


def test_the_server_waits_for_quiet_before_its_next_spare(tmp_path) -> None:  # noqa: ANN001
    """Right after a served review the server forks nothing (a request that comes soon, or the
    benchmark's floor run, must not share the machine with that work); once it has been quiet for
    ``QUIET_S`` a spare waits again."""
    import signal
    import subprocess
    import tempfile
    from pathlib import Path

    from bot.cli.cmdserver import QUIET_S, socket_path
    from bot.testing.gitrepo import make_repo

    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x")
    env = dict(os.environ, XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="q"), QUORUM_CACHE_DIR=str(tmp_path / "cache"),
               QUORUM_DATA_DIR=str(tmp_path / "data"))
    env.pop("QUORUM_SERVER", None)
    sock = socket_path(env)
    server = subprocess.Popen([sys.executable, "-m", "bot.cli.cmdserver", str(sock), "60"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not (sock.exists() and _children_of(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_children_of(server.pid)) == 1  # the first spare
        out = subprocess.run([sys.executable, "-c", "from bot.cli.entry import main; main()", "review", "--repo",
                              str(repo), "--format", "json", "--no-log"], capture_output=True, text=True, env=env,
                             timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        time.sleep(QUIET_S / 3)
        assert _children_of(server.pid) == []  # the spare served the review; nothing new yet
        time.sleep(QUIET_S + 1.0)
        assert len(_children_of(server.pid)) == 1  # quiet: the next spare waits
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    import shutil

    shutil.rmtree(Path(env["XDG_RUNTIME_DIR"]), ignore_errors=True)
