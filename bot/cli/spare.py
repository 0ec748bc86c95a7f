"""A spare child of the command server (:mod:`bot.cli.cmdserver`), forked before a request
arrives, so that neither the fork nor the copying of the server's memory is paid on a review's
critical path.

A forked review process shares the server's memory pages until it writes to them; reference
counting writes to every object it touches, so a served review used to take ~6,700 page faults
(each a copy of a 4 KB page) for what the server had loaded, on grpc-go's bench PRs. The spare
makes those copies while it waits (:func:`prefault`: every object the collector tracks, and after
half a second without a request every object they refer to, is touched once, as a collection
would): the review it then ran took ~4,700 faults and ~9 ms less CPU after the first step, ~3,400
and ~15 ms less after both (`/tmp/s16warm/pretouch.py`, RESULTS.md). It stops touching as soon
as a request is handed to it, and is used as it is then.

The server hands a request over a socket pair: the client's connection and its three file
descriptors (``SCM_RIGHTS``) and the request header, length-prefixed. The spare then runs it
exactly as a child forked for it would (:func:`bot.cli.cmdserver._child`, given as ``run``).
When the server closes its end (it stops, or gives the spare up), the spare exits; a spare that
cannot take a request (it died, the hand-over failed) is given up and the server forks a child
for that request as before.

At idle priority (``idle=True``): the spare runs under ``SCHED_IDLE`` (sched(7): it gets a CPU only
when no other task wants it), so that the server can fork it right after a review, not half a
second later, without slowing what runs next (another review's client, the benchmark's floor).
It first takes the first step of its prefault (:func:`prefault`), then runs its ``warm`` step (the
server's :mod:`bot.cli.warmstate` load, in the spare's own copy), then tells the server it is ready
(one byte), then takes the second step at once while it stays idle. The server hands it a request
only once it is ready (a spare still loading, or starved of CPU, is left waiting and the request
is forked as before), and first puts it back to the normal policy (``SCHED_OTHER``), so the review
runs exactly as a forked child's would. Only where that return is allowed
(:func:`idle_priority_ok`); elsewhere the server waits for quiet as before. Once the server has
been quiet as long as it waited before (``QUIET_S``), it puts a spare still idle back under the
normal policy (:meth:`Spare.promote`): on a machine with no idle time a ``SCHED_IDLE`` spare would
never get ready.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

PREFAULT_BATCH = 5000
"""Objects touched between two looks for a request (a few milliseconds of work)."""
QUIET_S = 0.5
"""Seconds without a request after which the spare touches what the objects refer to as well
(:func:`prefault`)."""

READY = b"R"
"""What a spare sends the server once its warm step is done and it can take a request."""

_FDS = 4
"""Descriptors handed with a request: the client's connection, its stdin, stdout and stderr."""


class Spare:
    """The server's side of one spare child: its ``pid`` and the socket it receives a request on.
    :attr:`used` is True once a hand-over was attempted (the server then forks the next one)."""

    def __init__(self, pid: int, channel: socket.socket, *, idle: bool = False) -> None:
        self.pid = pid
        self.channel = channel
        self.idle = idle
        self.used = False
        self._ready = False

    @classmethod
    def fork(cls, run: Callable[[socket.socket, list[int], dict[str, Any]], None],
             decode: Callable[[bytes], dict[str, Any]], close_in_child: list[socket.socket], *,
             idle: bool = False, warm: Callable[[], object] | None = None) -> Spare | None:
        """Fork a spare that prefaults (:func:`prefault`; after its first step it runs ``warm()``
        if given, any exception it raises ignored: the spare then has what it inherited, and
        reports it is ready), then waits for one request and calls ``run(conn, fds,
        decode(header))`` (which must end the process). ``idle``: all of it before the request under ``SCHED_IDLE`` (module docstring; the caller
        checks :func:`idle_priority_ok`). ``close_in_child``: the server's sockets the spare must not
        hold (its listening socket). None when no process or socket pair can be had. Call only from
        a process that runs no other thread."""
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            return None
        if pid == 0:  # pragma: no cover - runs in the spare (tested end to end)
            code = 0
            try:
                ours.close()
                for sock in close_in_child:
                    sock.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                gc.disable()  # the served review sets its own collector policy (bot.cli.gcstart)
                if idle:
                    _set_policy(0, os.SCHED_IDLE)

                def announce() -> None:
                    if warm is not None:
                        try:
                            warm()
                        except Exception:  # noqa: BLE001, S110 - the review then loads what it needs itself
                            pass
                    try:
                        theirs.sendall(READY)
                    except OSError:
                        pass  # the server closed its end: receive() finds its request, if any, or nothing

                prefault(theirs, idle=idle, first=announce)
                got = receive(theirs)
                if got is not None:
                    conn, fds, header = got
                    theirs.close()
                    if idle:
                        _set_policy(0, os.SCHED_OTHER)  # the server did it already (hand, promote); never idle here
                    run(conn, fds, decode(header))
            except BaseException:  # noqa: BLE001, S110 - a spare that fails has served nothing
                code = 3
            finally:
                os._exit(code)
        theirs.close()
        if idle:
            _set_policy(pid, os.SCHED_IDLE)  # from the start (the spare sets it too, once it runs)
        return cls(pid, ours, idle=idle)

    def ready(self) -> bool:
        """True once the spare has said it is ready (:data:`READY`); never waits. A spare that
        sent anything else or closed its end is given up (:meth:`stop`) and is never ready."""
        if self._ready or self.used:
            return self._ready and not self.used
        try:
            if not select.select([self.channel], [], [], 0)[0]:
                return False
            self._ready = self.channel.recv(1) == READY
        except (OSError, ValueError):
            self._ready = False
        if not self._ready:
            self.used = True
            self.stop()
        return self._ready

    def promote(self) -> None:
        """Put an idle spare under the normal policy from now on (the server does it once it has been
        quiet for its ``QUIET_S``: what the spare still has to do is then done as a spare forked at
        that moment would, even on a machine too busy to leave it any idle time)."""
        if self.idle and _set_policy(self.pid, os.SCHED_OTHER):
            self.idle = False

    def hand(self, conn: socket.socket, fds: list[int], header: bytes) -> bool:
        """Send the request (see the module docstring) to a spare that is :meth:`ready`; True when
        the spare has it. An idle spare is first put back to the normal policy. On failure the spare
        is given up (:meth:`stop`); call only when :meth:`ready` said True."""
        self.used = True
        if self.idle and not _set_policy(self.pid, os.SCHED_OTHER):
            self.stop()
            return False
        try:
            self.channel.sendmsg([struct.pack("!I", len(header))],
                                 [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{_FDS}i", conn.fileno(), *fds))])
            self.channel.sendall(header)
        except OSError:
            self.stop()
            return False
        self.channel.close()
        return True

    def stop(self) -> None:
        """Give the spare up: close its socket (it exits when it next looks) and ask it to end
        (SIGTERM); the server reaps it."""
        self.channel.close()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except OSError:
            pass


def idle_priority_ok() -> bool:
    """True when this process may put a child under ``SCHED_IDLE`` and then back to ``SCHED_OTHER``
    (sched(7): leaving ``SCHED_IDLE`` needs ``CAP_SYS_NICE`` or an ``RLIMIT_NICE`` that allows the
    nice value, as lowering it would; a child has this process's uid, limits and nice value).
    Tried, not guessed: a short-lived thread of this process (the policy is per thread) goes to
    ``SCHED_IDLE`` and back; the thread has ended when this returns. False where either step
    fails, and for a process not under ``SCHED_OTHER`` (a server started under another policy, say
    ``chrt --batch``, keeps it for every child: the server then waits for quiet, as before)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            return False
    except OSError:
        return False
    result: list[bool] = []

    def attempt() -> None:
        result.append(_set_policy(0, os.SCHED_IDLE) and _set_policy(0, os.SCHED_OTHER))

    thread = threading.Thread(target=attempt, name="quorum-idle-check")
    thread.start()
    thread.join()
    return result == [True]


def _set_policy(pid: int, policy: int) -> bool:
    """``sched_setscheduler(pid, policy)`` with priority 0 (``pid`` 0: this thread); False on failure."""
    try:
        os.sched_setscheduler(pid, policy, os.sched_param(0))
    except (OSError, AttributeError):
        return False
    return True


def prefault(channel: socket.socket, batch: int = PREFAULT_BATCH, quiet_s: float = QUIET_S, *,
             idle: bool = False, first: Callable[[], None] | None = None) -> int:
    """Touch every object the collector tracks (``gc.get_objects`` takes a reference to each);
    then, once ``channel`` has stayed silent for ``quiet_s`` seconds, each object they refer to
    (``gc.get_referents``, a reference taken and dropped), in batches of ``batch``, until
    ``channel`` has something to read. Leaves what was alive frozen again (``gc.freeze``, as the
    server had it). Returns the number of objects whose referents were touched.

    Two steps, so that a request that comes soon after the last one (a script reviewing commit
    after commit, the benchmark, whose floor runs between two reviews) meets ~20 ms of work done
    beside it, not ~55 ms: the first step saves about two thirds of the page copies a review makes,
    for about 40% of the work (grpc-go, RESULTS.md, s16warm).

    ``idle``: this thread runs under ``SCHED_IDLE`` (an idle spare): the second step starts at once
    and goes on while the thread stays idle; once it is not (the server promoted the spare,
    :meth:`Spare.promote`) the rest waits for ``quiet_s`` seconds of silence first, as above.
    ``first``: called after the first step, before the second (a spare does its warm step there
    and says it is ready: a request it is handed then never waits for the first step, one call
    that cannot stop half-way, ~20 ms)."""
    gc.unfreeze()
    objects = gc.get_objects()
    done = 0
    try:
        if first is not None:
            first()
        idle = idle and _is_idle()
        if not idle and select.select([channel], [], [], quiet_s)[0]:
            return 0
        for start in range(0, len(objects), batch):
            if select.select([channel], [], [], 0)[0]:
                break
            if idle and not _is_idle():
                idle = False
                if select.select([channel], [], [], quiet_s)[0]:
                    break
            for obj in objects[start:start + batch]:
                gc.get_referents(obj)
            done = min(len(objects), start + batch)
    finally:
        del objects
        gc.freeze()
    return done


def _is_idle() -> bool:
    """True when this thread runs under ``SCHED_IDLE``."""
    try:
        return os.sched_getscheduler(0) == os.SCHED_IDLE
    except (OSError, AttributeError):
        return False


def receive(channel: socket.socket) -> tuple[socket.socket, list[int], bytes] | None:
    """The request handed to a spare: ``(connection, [stdin, stdout, stderr], header)``; None when
    the server closed the channel or sent something else (every descriptor received is closed then)."""
    data, ancdata, _flags, _addr = channel.recvmsg(4, socket.CMSG_SPACE(_FDS * struct.calcsize("i")))
    fds: list[int] = []
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
    header = b""
    try:
        if len(fds) != _FDS:
            raise ValueError("no request")
        while len(data) < 4:
            more = channel.recv(4 - len(data))
            if not more:
                raise ValueError("no request")
            data += more
        size = struct.unpack("!I", data)[0]
        while len(header) < size:
            chunk = channel.recv(min(65536, size - len(header)))
            if not chunk:
                raise ValueError("truncated request")
            header += chunk
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        return None
    return socket.socket(fileno=fds[0]), fds[1:], header
