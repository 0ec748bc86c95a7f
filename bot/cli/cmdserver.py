"""A command server for ``quorum review`` (the design of Mercurial's chg): a background
process that has already imported Quorum, compiled its rules and loaded its grammars, and forks
a copy of itself for each review. The ``quorum`` client then costs a bare Python start (it
imports only this module and the standard library) instead of ~1 s of imports and compilation.

- ``quorum review`` starts it after a review that completed in process (:mod:`bot.cli.autostart`;
  not in CI, not with ``QUORUM_SERVER_AUTOSTART=0``), ``quorum server start`` starts it by hand
  (detached), ``quorum server stop`` / ``status``; one server per socket (:func:`hold_lock`); it exits by
  itself after ``idle_s`` seconds without a request, or when Quorum's code changes (the socket
  name carries a fingerprint of the code, so a stale server is never used).
- The client (:func:`bot.cli.cmdclient.try_review`, a module of its own that imports next to
  nothing) sends its argv, working directory, environment and its stdin,
  stdout and stderr (as file descriptors, ``SCM_RIGHTS``); the forked child runs the review
  exactly as ``quorum review`` would, in the client's directory and environment, writing to the
  client's terminal or pipes, then sends back the exit status. Ctrl-C in the client is forwarded.
- Security: the socket lives in a 0700 directory of the user (``$XDG_RUNTIME_DIR`` or
  ``/tmp/quorum-<uid>``), and the server serves only connections whose peer has its own uid
  (``SO_PEERCRED``, socket(7)). It never reads a request from anyone else.
- Fail safe: no server, a refused connection, or a server of other code means the client runs
  the review in process as usual. Once a request is handed over, the server's answer is final
  (a lost child is exit status 3), so a review is never run twice.

- A spare child (:mod:`bot.cli.spare`), forked between requests (as the warm state is loaded),
  takes the next one: the fork and the copying of the server's pages a review writes to are done
  before the request comes. A request that comes while no spare is ready is forked as before.
  By default (unless :data:`IDLE_SPARE_ENV` is ``0``), where the spare may run at idle priority (``SCHED_IDLE``,
  :func:`bot.cli.spare.idle_priority_ok`), it is forked as soon as the last review has ended, not after :data:`QUIET_S`, and loads the
  last review's warm state itself: back-to-back reviews (a script reviewing commit after commit,
  the benchmark) get it too, and what runs next at normal priority still has the CPU first.
  After :data:`QUIET_S` an idle spare is put back under the normal policy (as it was forked then before).
- Warm state: between requests (no review running or ended in the last :data:`QUIET_S` seconds,
  none waiting) the server loads what the next
  review of the same repository needs and that does not depend on the pull request, the code
  index's cache rows of the tree it last reviewed (:mod:`bot.cli.warmstate`); children inherit it.

Standard library only at import time. The client is :mod:`bot.cli.cmdclient`, which stays
cheaper still.
"""

from __future__ import annotations

import functools
import gc
import os
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from bot.cli import cmdclient
from bot.cli.spare import Spare, idle_priority_ok
from bot.cli.warmstate import WarmIndexRows, WarmJob, job_of

DEFAULT_IDLE_S = 1800.0
"""A server with no request for this long exits (seconds)."""
MAX_HEADER_BYTES = 4 * 1024 * 1024
WATCH_S = 0.01
"""While a review runs or work between requests is due, the server looks for the end of the
review and the end of the quiet period this often (seconds)."""
QUIET_S = 0.5
"""Seconds after the end of the last review before the server does its work between requests
(loading the warm state, forking and prefaulting the spare): a request that comes sooner (a
script reviewing commit after commit, the benchmark running its floor between two reviews) must
not share the machine with it. Measured: without this wait the floor run just after a served
review took a paired median of 19 ms longer (grpc-go, 20 pairs at load ~7; RESULTS.md, s16warm).
Where spares may run at idle priority (:func:`bot.cli.spare.idle_priority_ok`) the spare is forked
at once, under ``SCHED_IDLE``, and put back under the normal policy after this long (module
docstring); the server's own warm state load still waits for it."""


IDLE_SPARE_ENV = "QUORUM_IDLE_SPARE"
"""Set to ``0`` in the server's environment (``quorum server start`` and ``quorum review`` pass their
own) for no spare at idle priority: the server then waits for :data:`QUIET_S` after each review
before it forks the next spare. Unset or any other value: spares are forked at idle priority right
after each review (:mod:`bot.cli.spare`) where the platform allows it."""


def code_fingerprint() -> str:
    """See :func:`bot.cli.cmdclient.code_fingerprint` (the client's and the server's one definition)."""
    return cmdclient.code_fingerprint()


def socket_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """Where the server for this code, interpreter and ``QUORUM_CACHE_DIR`` listens
    (:func:`bot.cli.cmdclient.socket_path`)."""
    return Path(cmdclient.socket_path(environ))


def _private_dir(path: Path) -> bool:
    """Create ``path`` 0700 if needed; True when it is a directory owned by us with no access for others."""
    return cmdclient.private_dir(str(path))


# ------------------------------------------------------------------------------------ server


def preload() -> None:
    """Import and warm everything a review uses, once, in the server (forked children inherit it)."""
    import importlib  # noqa: PLC0415

    import bot.adapters.gitlocal  # noqa: F401, PLC0415
    import bot.audit  # noqa: F401, PLC0415
    import bot.config  # noqa: F401, PLC0415
    import bot.cli.app  # noqa: F401, PLC0415 - typer: --help and usage errors
    import bot.cli.main  # noqa: F401, PLC0415
    import bot.codeindex  # noqa: F401, PLC0415
    import bot.pipeline  # noqa: F401, PLC0415
    import bot.render.markdown  # noqa: F401, PLC0415
    import bot.render.sarif  # noqa: F401, PLC0415
    import bot.render.text  # noqa: F401, PLC0415
    from bot.core import injection, sanitize, sensitive, treesitter, unicode_text  # noqa: PLC0415
    from bot.cli.earlysnap import warm_up  # noqa: PLC0415
    from bot.core.catalog import default_catalog  # noqa: PLC0415
    from bot.policy import load_policy  # noqa: PLC0415
    from subagents import default_agents  # noqa: PLC0415

    from subagents.framework import CheckedAgent  # noqa: PLC0415

    for agent in default_agents():
        if isinstance(agent, CheckedAgent):
            agent.checks()  # imports subagents/checks/<agent>/*: ~40 modules each served review imported
    # What every served review imported after the fork before this: the CLI's own helpers, what a
    # review that forks its agents imports (bot.agentprocs: resource, select, pickle), the
    # platformdirs lookup of the data directory, the decision log's writers (its sqlite3 append,
    # and the store that creates a new log, with its SQLite dialect and tenacity retry), rich's
    # emoji table (text output).
    for name in ("bot.agentprocs", "resource", "select", "pickle", "bot.cli.dccache", "bot.cli.gcstart",
                 "bot.cli.recache", "platformdirs", "bot.audit.sqliteappend", "bot.audit.store",
                 "sqlalchemy.dialects.sqlite", "tenacity", "rich._emoji_codes"):
        importlib.import_module(name)
    # What a one-shot review builds on first use, often from a per-user cache the served child
    # does not open (the regex and YAML caches are the CLI's): what the review's own warm-up
    # imports and loads (the rule registry: ~85 YAML files, 25-45 ms of every served review before
    # this), every secret detector (the JWT one imports detect-secrets), the Unicode property
    # patterns (the ``regex`` package) and the prompt-injection patterns.
    warm_up()
    sanitize._detectors()  # noqa: SLF001
    sensitive._renovate_sources()  # noqa: SLF001 - Renovate's manifest patterns, read and checked once
    unicode_text._re()  # noqa: SLF001
    for _, _, pattern in injection._COMPILED:  # noqa: SLF001
        injection._regex(pattern)  # noqa: SLF001
    for _, _, first, second, _ in injection._COMPILED_PROXIMITY:  # noqa: SLF001
        injection._regex(first)  # noqa: SLF001
        injection._regex(second)  # noqa: SLF001
    load_policy(None, source="default")
    catalog = default_catalog()
    for language in sorted(catalog.languages()):
        catalog._compiled_for(language)  # noqa: SLF001 - warm every language's rule queries
    for language in treesitter.LANGUAGES:
        try:
            treesitter.get_language(language)
        except (ImportError, ValueError):
            pass
    for language, pattern in _static_queries():
        try:
            treesitter.query(language, pattern)  # lru-cached: compiled once here, not in every child
        except (ImportError, ValueError):
            pass


def _static_queries() -> list[tuple[str, str]]:
    """The fixed tree-sitter queries reviews compile on first use, ``(language, pattern)``: the code
    index's extractors (whole and definitions-only, per language), the dangerous-call check's and
    :func:`subagents._syntax.static_queries`.
    Compiling one costs 1.5-5 ms (Python, Go) and 20-35 ms (TypeScript/TSX) in each served child
    otherwise."""
    from bot.codeindex import _ecmascript, _go, _python  # noqa: PLC0415
    from subagents import _syntax  # noqa: PLC0415
    from subagents.checks.safety import dangerous_calls  # noqa: PLC0415

    queries = [("python", _python.QUERY), ("python", _python.DEFINITIONS_QUERY), ("go", _go.QUERY),
               ("go", _go.DEFINITIONS_QUERY), ("python", dangerous_calls._PY_CALL_QUERY), ("python", "(string) @s")]  # noqa: SLF001
    for language in ("javascript", "typescript", "tsx"):
        extra = _ecmascript._TS_EXTRA if language != "javascript" else ""  # noqa: SLF001
        queries += [(language, _ecmascript._COMMON + extra), (language, _ecmascript._DEFINITIONS + extra)]  # noqa: SLF001
    return queries + _syntax.static_queries()  # the agents' definitions, classes and prose-line searches


def serve(path: Path, *, idle_s: float = DEFAULT_IDLE_S, first: WarmJob | None = None) -> None:
    """Listen on ``path`` and fork one child per request until idle for ``idle_s`` seconds or
    SIGTERM. Single-threaded (children are forked from a process with no other thread). ``first``:
    the warm state to load before any review came (that of the review that started this server,
    :mod:`bot.cli.autostart`), as after a served review."""
    if not _private_dir(path.parent):
        raise OSError(f"{path.parent} is not a private directory of this user")
    preload()
    gc.freeze()  # what preload() built is never collected: children neither walk nor copy it
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)
    server.listen(64)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    last = time.monotonic()
    warm = WarmIndexRows()
    children: dict[int, WarmJob | None] = {}
    todo: WarmJob | None = first
    spare: Spare | None = None
    # Spares at idle priority, forked right after a review (module docstring), unless
    # IDLE_SPARE_ENV=0 in the server's environment: on by default since the twelfth session's quiet
    # runs (RESULTS.md: back to back, ratio p95 against a one-process run's floors 1.82 / 1.62 /
    # 1.52 with them, 2.28 / 1.89 / 2.12 without, on grpc-go / pydantic / vuejs/core; the floors
    # right after a review were not consistently longer: x1.02 / x0.89 / x1.12 of the one-process
    # run's with them, x1.02 / x0.80 / x1.25 without).
    idle = os.environ.get(IDLE_SPARE_ENV, "1").strip() != "0" and idle_priority_ok()
    ended = 0.0  # when the last review ended (monotonic); 0: none yet
    try:
        while not stop["now"] and time.monotonic() - last < idle_s and path.exists():
            for pid in _reap():
                if pid in children:
                    ended = time.monotonic()
                job = children.pop(pid, None)
                todo = job or todo
                if spare is not None and pid == spare.pid:
                    spare = None
            # Off the critical path: no review runs, none ended in the last QUIET_S seconds, and no
            # request waits (module docstring). The warm state first, so that the spare forked
            # next has it.
            quiet = not children and time.monotonic() - ended >= QUIET_S and not _waiting(server)
            if idle and spare is None and not children and not _waiting(server):
                # At idle priority the spare loads the last review's warm state itself, at once.
                spare = Spare.fork(lambda c, f, r: _child(c, f, r, warm), cmdclient.decode_request, [server],
                                   idle=True, warm=None if todo is None else functools.partial(warm.load, todo))
            if spare is not None and quiet:
                spare.promote()  # an idle spare still waiting for CPU: as after QUIET_S before
            if todo is not None and quiet:
                warm.load(todo)  # kept in the server too: for later spares and any forked child
                todo = None
            if spare is None and todo is None and quiet:
                spare = Spare.fork(lambda c, f, r: _child(c, f, r, warm), cmdclient.decode_request, [server])
            due = todo is not None or (spare is None and time.monotonic() - ended < QUIET_S)
            server.settimeout(WATCH_S if children or due else 1.0)
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                continue
            last = time.monotonic()
            handed = _handle(conn, warm, spare)
            if spare is not None and spare.used:
                spare = None
            if handed is not None:
                children[handed[0]] = job_of(handed[1])
    finally:
        if spare is not None:
            spare.stop()
        server.close()
        try:
            if path.exists():
                path.unlink()
        except OSError:
            pass


def _reap() -> list[int]:
    """Reap every child that has ended; their pids."""
    done: list[int] = []
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done.append(pid)


def _waiting(server: socket.socket) -> bool:
    """True when a connection waits on the listening socket (it is served before any warm-up)."""
    try:
        return bool(select.select([server], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _handle(conn: socket.socket, warm: WarmIndexRows | None = None,
            spare: Spare | None = None) -> tuple[int, dict[str, Any]] | None:
    """Check the peer, read the request, and hand it to the ``spare`` child (:mod:`bot.cli.spare`),
    or fork the child that runs it (with the server's ``warm`` state, :mod:`bot.cli.warmstate`)
    when there is none or it cannot take it. ``(child pid, request)``, or None when no child has it."""
    fds: list[int] = []
    try:
        conn.settimeout(10.0)
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid != os.getuid():
            return
        data, ancdata, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(3 * struct.calcsize("i")))
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
        if len(fds) != 3 or len(data) < 4:
            return
        size = struct.unpack("!I", data[:4])[0]
        if size > MAX_HEADER_BYTES:
            return
        body = data[4:]
        while len(body) < size:
            chunk = conn.recv(min(65536, size - len(body)))
            if not chunk:
                return
            body += chunk
        request = cmdclient.decode_request(body)
        if spare is not None and spare.ready() and spare.hand(conn, fds, body):
            return spare.pid, request
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child (tested end to end)
            _child(conn, fds, request, warm)
        return pid, request
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        conn.close()


def _child(conn: socket.socket, fds: list[int], request: dict[str, Any],  # pragma: no cover
           warm: WarmIndexRows | None = None) -> None:
    code = 3
    try:
        conn.sendall(struct.pack("!i", os.getpid()))  # first the pid (for Ctrl-C), last the status
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the client's descriptors, now 0..2
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        from bot.cli import gcstart  # noqa: PLC0415
        from bot.cli import main as cli  # noqa: PLC0415

        # The collector of a process that lives for one review (bot.cli.gcstart): paused here for
        # good; the review sets what is alive aside and collects nothing automatically, as the
        # agents' forked children. Reference counting frees the rest as always.
        gcstart.pause(for_good=True)

        age = request.get("age_at_entry")
        since_entry = max(0.0, time.time() - float(request.get("entry_wall") or time.time()))
        cli.set_entry(None if age is None else float(age), time.perf_counter() - since_entry, served=True)
        if warm is not None and len(warm):
            from bot.cli import review_cmd  # noqa: PLC0415

            review_cmd.set_index_builder(warm.builder())
        code = cli.run(["quorum", *request["argv"]])
    except BaseException:  # noqa: BLE001 - the child must always answer
        import traceback  # noqa: PLC0415

        try:
            sys.stderr.write("quorum: error: internal error in the review server: " +
                             traceback.format_exc().strip().splitlines()[-1] + "\n")
        except Exception:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        try:
            conn.sendall(struct.pack("!i", code))
        except OSError:
            pass
        os._exit(code)


def pid_file(path: Path) -> Path:
    """The server's pid file, next to its socket (:func:`bot.cli.cmdclient.beside`)."""
    return Path(cmdclient.beside(str(path), ".pid"))


def hold_lock(path: Path) -> int | None:
    """Take the lock of the server on ``path`` (the file beside its socket, suffix ``.lock``), so that
    two servers started at once (two reviews each starting one, :mod:`bot.cli.autostart`) never both
    listen: the second would unlink the first's socket. Returns the open descriptor, kept for the
    process's life, or None when another process holds the lock. A POSIX record lock
    (``fcntl(2)`` ``F_SETLK``, through :func:`fcntl.lockf`): it is released when this process ends,
    however it ends, and not inherited by the children it forks (fcntl(2): "Record locks are not
    inherited by a child created via fork(2)"), so a review still running after its server stopped
    does not keep the next server from starting. Raises OSError when the file cannot be opened."""
    import fcntl  # noqa: PLC0415

    fd = os.open(cmdclient.beside(str(path), ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


if __name__ == "__main__":  # pragma: no cover - started detached by ``quorum server start`` or a review
    os.chdir("/")  # a served review changes to the client's directory; the server holds none open
    sock = Path(sys.argv[1])
    idle = float(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_IDLE_S
    first = WarmJob(sys.argv[3], sys.argv[4], Path(sys.argv[5])) if len(sys.argv) > 5 else None
    if not _private_dir(sock.parent):
        sys.exit(f"quorum server: {sock.parent} is not a private directory of this user")
    lock = hold_lock(sock)  # held until this process ends
    if lock is None:
        sys.exit(0)  # another server for this code and cache directory is starting or listening
    pid_file(sock).write_text(str(os.getpid()))
    try:
        serve(sock, idle_s=idle, first=first)
    finally:
        try:
            pid_file(sock).unlink()
        except OSError:
            pass
