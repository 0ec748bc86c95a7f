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
from bot.cli.spare import Spare, idle_priority_ok, prefault, receive

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
    _until_ready(spare)
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


def _until_ready(spare: Spare, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not spare.ready():
        assert time.monotonic() < deadline, "the spare never said it was ready"
        time.sleep(0.01)


def _hand_and_read(spare: Spare) -> tuple[int, str]:
    """Hand ``spare`` a request whose ``run`` writes what it saw to the client's stdout; (exit status, output)."""
    header = cmdclient.encode_request(["review"], "/", {}, 0.5, 12.0)
    client, server_end = socket.socketpair()
    r, w = os.pipe()
    try:
        assert spare.hand(server_end, [w, w, w], header)
        server_end.close()
        os.close(w)
        status = _wait(spare.pid)
        with os.fdopen(r, "r") as fh:
            return status, fh.read()
    finally:
        client.close()


def _report(conn: socket.socket, fds: list[int], request: dict) -> None:
    """A spare's ``run``: the scheduling policy the request runs under and what its warm step left."""
    os.write(fds[1], f"{os.sched_getscheduler(0)} {sorted(_WARMED)}".encode())
    os._exit(0)


_WARMED: list[str] = []


@pytest.mark.skipif(not idle_priority_ok(), reason="SCHED_IDLE and back is not allowed here")
def test_an_idle_spare_waits_at_idle_priority_and_runs_its_request_at_normal_priority() -> None:
    """Before the request the spare is under ``SCHED_IDLE``, after its warm step; the request
    runs under ``SCHED_OTHER`` with what the warm step loaded."""
    spare = Spare.fork(_report, cmdclient.decode_request, [], idle=True, warm=lambda: _WARMED.append("rows"))
    assert spare is not None
    _until_ready(spare)
    assert os.sched_getscheduler(spare.pid) == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the server's own policy is untouched
    assert _hand_and_read(spare) == (0, f"{os.SCHED_OTHER} ['rows']")
    assert _WARMED == []  # loaded in the spare, not here


@pytest.mark.skipif(not idle_priority_ok(), reason="SCHED_IDLE and back is not allowed here")
def test_no_idle_spares_for_a_process_under_another_policy() -> None:
    """A server started under another policy (``chrt --batch``) keeps it for its children: no idle
    spares. Checked in a thread of its own (the policy is per thread)."""
    import threading

    seen: list[bool] = []

    def under_batch() -> None:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        seen.append(idle_priority_ok())

    thread = threading.Thread(target=under_batch)
    thread.start()
    thread.join()
    assert seen == [False]
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_a_spare_is_not_ready_before_its_warm_step_ends_and_survives_a_failing_one(tmp_path) -> None:  # noqa: ANN001
    """``ready()`` never waits: False while the warm step runs (the server then forks instead
    and keeps the spare); an exception in the warm step leaves a spare that still serves."""
    gate = tmp_path / "go"

    def slow() -> None:
        while not gate.exists():
            time.sleep(0.01)
        raise RuntimeError("the warm step failed")

    spare = Spare.fork(_report, cmdclient.decode_request, [], idle=idle_priority_ok(), warm=slow)
    assert spare is not None
    try:
        time.sleep(0.3)
        assert not spare.ready()
        assert not spare.used  # not given up: it may serve the next request
    finally:
        gate.write_text("")
    _until_ready(spare)
    assert _hand_and_read(spare) == (0, f"{os.SCHED_OTHER} []")


def test_a_spare_that_says_something_else_is_given_up() -> None:
    """A spare is ready only on :data:`bot.cli.spare.READY`; anything else (here: it closed its end
    by ending) gives it up, and the server forks the request instead."""
    spare = Spare.fork(lambda *a: os._exit(0), cmdclient.decode_request, [], warm=lambda: os._exit(0))
    assert spare is not None
    assert _wait(spare.pid) == 0
    assert not spare.ready()
    assert spare.used


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


def test_an_idle_spare_prefaults_at_once_and_waits_for_quiet_once_promoted(monkeypatch) -> None:  # noqa: ANN001
    """Under ``SCHED_IDLE`` the second step starts without the quiet wait; once the spare is
    promoted (no longer idle) the rest waits for ``quiet_s`` of silence first, once."""
    from bot.cli import spare as spare_mod

    waits: list[float] = []
    real_select = spare_mod.select.select

    def select(r, w, x, timeout):  # noqa: ANN001, ANN202
        waits.append(timeout)
        return real_select(r, w, x, 0)

    looks = iter([True, True, True])  # idle at the start and for the first two batches, then promoted
    monkeypatch.setattr(spare_mod.select, "select", select)
    monkeypatch.setattr(spare_mod, "_is_idle", lambda: next(looks, False))
    ours, theirs = socket.socketpair()
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        with ours, theirs:
            assert prefault(theirs, batch=100, quiet_s=7.0, idle=True) > 0
    finally:
        if not frozen:
            gc.unfreeze()
    assert waits.count(7.0) == 1  # one quiet wait, after the promotion
    assert waits.index(7.0) == 3  # after the looks for a request before batches 0, 1 and 2


def test_prefault_calls_first_between_its_two_steps(monkeypatch) -> None:  # noqa: ANN001
    """``first`` (a spare's warm step and its READY) runs once the first step is done and before
    the second step looks for a request: a request handed after READY never waits for the first."""
    from bot.cli import spare as spare_mod

    events: list[str] = []
    real_select = spare_mod.select.select
    real_get_objects = spare_mod.gc.get_objects

    def select(r, w, x, timeout):  # noqa: ANN001, ANN202
        events.append("look")
        return real_select(r, w, x, 0)

    def get_objects():  # noqa: ANN202
        events.append("first step")
        return real_get_objects()

    monkeypatch.setattr(spare_mod.select, "select", select)
    monkeypatch.setattr(spare_mod.gc, "get_objects", get_objects)
    ours, theirs = socket.socketpair()
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        with ours, theirs:
            assert prefault(theirs, batch=100, quiet_s=0, first=lambda: events.append("first")) > 0
    finally:
        if not frozen:
            gc.unfreeze()
    assert events[:3] == ["first step", "first", "look"]
    assert events.count("first") == 1


def test_receive_refuses_what_is_no_request() -> None:
    ours, theirs = socket.socketpair()
    with theirs:
        ours.sendall(b"\0\0\0\5hello")  # no descriptors with it
        assert receive(theirs) is None
        ours.close()
        assert receive(theirs) is None  # the server closed it


def _uptime() -> float:
    """Seconds since boot (``/proc/uptime``), the clock of :func:`_started`."""
    with open("/proc/uptime", encoding="ascii") as fh:
        return float(fh.read().split()[0])


def _started(pid: int) -> float:
    """When process ``pid`` started, seconds since boot (proc(5): ``stat`` field 22, in clock ticks)."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        stat = fh.read()
    return int(stat[stat.rindex(b")") + 2:].split()[19]) / os.sysconf("SC_CLK_TCK")


def _spares_of(pid: int) -> list[int]:
    """The children of ``pid`` that run its program (forked: a spare, or a review's process), not the
    git processes the server starts to load its warm state."""
    def comm(of: int) -> str | None:
        try:
            with open(f"/proc/{of}/comm", encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            return None

    own = comm(pid)
    return [child for child in _children_of(pid) if comm(child) == own]


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


@pytest.mark.parametrize(("allowed", "opted_out"), [(False, False), (True, True), (True, False)])
def test_the_next_spare_waits_for_quiet_unless_it_runs_at_idle_priority(tmp_path, allowed, opted_out) -> None:  # noqa: ANN001
    """Right after a served review the server forks nothing at normal priority (a request that
    comes soon, or the benchmark's floor run, must not share the machine with that work); once it
    has been quiet for ``QUIET_S`` a spare waits again. Where the spare may run at idle priority and
    the server was not started with ``QUORUM_IDLE_SPARE=0`` it forks it at once instead, under ``SCHED_IDLE``, and puts it back under the normal
    policy once quiet."""
    import signal
    import subprocess
    import tempfile
    from pathlib import Path

    from bot.cli.cmdserver import IDLE_SPARE_ENV, QUIET_S, socket_path
    from bot.testing.gitrepo import make_repo

    idle = allowed and not opted_out
    if idle and not idle_priority_ok():
        pytest.skip("SCHED_IDLE and back is not allowed here")
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x")
    env = dict(os.environ, XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="q"), QUORUM_CACHE_DIR=str(tmp_path / "cache"),
               QUORUM_DATA_DIR=str(tmp_path / "data"))
    env.pop("QUORUM_SERVER", None)
    env.pop(IDLE_SPARE_ENV, None)
    if opted_out:
        env[IDLE_SPARE_ENV] = "0"
    sock = socket_path(env)
    serve = ("import sys; from pathlib import Path; from bot.cli import cmdserver; "
             f"cmdserver.idle_priority_ok = lambda: {allowed}; cmdserver.serve(Path(sys.argv[1]), idle_s=60.0)")
    server = subprocess.Popen([sys.executable, "-c", serve, str(sock)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def review() -> None:
        out = subprocess.run([sys.executable, "-c", "from bot.cli.entry import main; main()", "review", "--repo",
                              str(repo), "--format", "json", "--no-log"], capture_output=True, text=True, env=env,
                             timeout=120, check=False)
        assert out.returncode == 0, out.stderr

    def spares(wait: float, old: list[int]) -> list[int]:
        """The server's children once none of ``old`` is left (the spare that served the review
        may still be exiting) and there is one, or after ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            now = _spares_of(server.pid)
            if now and not set(now) & set(old):
                return now
            time.sleep(0.01)
        return _spares_of(server.pid)

    try:
        deadline = time.monotonic() + 90
        while not (sock.exists() and _spares_of(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        first = _spares_of(server.pid)
        assert len(first) == 1  # the first spare
        successor = None
        for _ in range(5):  # a spare not ready yet (a busy machine) leaves the review to a forked child
            before = _spares_of(server.pid)
            review()
            done = _uptime()
            now = spares(QUIET_S + 3.0, before)
            if now and not set(now) & set(before):  # the spare served it, and a new one is there
                successor = now
                break
        assert successor is not None, "no review was served by a spare"
        assert len(successor) == 1
        policy = os.sched_getscheduler(successor[0])
        age = _uptime() - _started(successor[0])
        started = _started(successor[0]) - done
        if idle:
            # Forked when the served spare was reaped, under SCHED_IDLE from the start, promoted
            # QUIET_S after that: seen younger than that, it is idle. (Its start counted from the
            # client's end also holds the served spare's exit, which a busy machine makes long.)
            if age < QUIET_S * 0.8:
                assert policy == os.SCHED_IDLE
        else:
            # Only after QUIET_S of quiet, counted by the server from when it reaped the review's
            # process, which the client (``done``) sees a little later: half of it is certain.
            assert started >= QUIET_S / 2
            assert policy == os.SCHED_OTHER
        time.sleep(QUIET_S + 0.5)
        assert os.sched_getscheduler(successor[0]) == os.SCHED_OTHER  # quiet: promoted, or never idle
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    import shutil

    shutil.rmtree(Path(env["XDG_RUNTIME_DIR"]), ignore_errors=True)
