"""The client side of the review command server (:mod:`bot.cli.cmdserver`), kept to what a bare
Python start has already loaded: it is what ``quorum review`` runs when a server may listen.

Everything the client does before the hand-over is paid on every review, so this module imports
only built-in C modules (``_socket``, ``_signal``, ``_sha256`` when present) and
``os``/``sys``, which the interpreter has loaded anyway: no ``socket.py`` (it
imports ``enum`` and ``selectors``), no ``json`` (it imports ``re``), no ``pathlib``, no
``typing``, no ``hashlib`` (it loads OpenSSL). The request header is NUL-separated bytes
(:func:`encode_request` / :func:`decode_request`): argv items, the working directory and
environment entries can hold no NUL byte, and ``os.fsencode``/``os.fsdecode`` give back exactly
the strings the client had (undecodable bytes included, as surrogate escapes).

:func:`code_fingerprint` is the one definition of "the same code" for client and server: the
interpreter, and the path, size and modification time of every code and data file under
``bot/``, ``subagents/`` and ``rules/``; any edit gives another socket name, so a server of other
code is never used.
"""

from __future__ import annotations

import os
import sys

import _signal

try:  # the C socket module itself: socket.py would import enum and selectors
    import _socket as _sock
except ImportError:  # pragma: no cover - other interpreters
    import socket as _sock  # type: ignore[no-redef]

try:  # CPython's own SHA-256 (the same digest as hashlib's, without loading OpenSSL)
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover - Python 3.12+ names it _sha2; other interpreters
    from hashlib import sha256 as _sha256

from bot.cli.serverprobe import runtime_dir, socket_present

CODE_ROOTS = ("bot", "subagents", "rules")
CODE_SUFFIXES = (".py", ".yml", ".yaml", ".json", ".scm")
REQUEST_MAGIC = b"quorum-review-request-2"
"""First field of a request header; a server of another wire format refuses it (the socket name
changes with the code anyway)."""


def code_root() -> str:
    """The directory holding ``bot/`` (this file is ``<root>/bot/cli/cmdclient.py``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


def code_fingerprint() -> str:
    """16 hex digits naming the interpreter (path and version) and Quorum's code: the relative
    path, size and modification time (ns) of every file under :data:`CODE_ROOTS` whose name ends
    in one of :data:`CODE_SUFFIXES` (``__pycache__`` skipped), in sorted order."""
    root = code_root()
    h = _sha256(sys.executable.encode())
    h.update(sys.version.encode())
    for name in CODE_ROOTS:
        _walk(h, os.path.join(root, name), name)
    return h.hexdigest()[:16]


def _walk(h, path: str, rel: str) -> None:  # noqa: ANN001 - a sha256 object
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return
    dirs = []
    for entry in entries:
        if entry.is_dir():
            if entry.name != "__pycache__":
                dirs.append(entry)
        elif entry.name.endswith(CODE_SUFFIXES):
            st = entry.stat()
            h.update(f"{rel}/{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    for entry in dirs:
        _walk(h, entry.path, f"{rel}/{entry.name}")


def socket_path(environ=None) -> str:  # noqa: ANN001 - a mapping of the environment
    """Where the server for this code, interpreter and ``QUORUM_CACHE_DIR`` listens."""
    env = os.environ if environ is None else environ
    cache = env.get("QUORUM_CACHE_DIR", "")
    tag = _sha256(f"{code_fingerprint()}\0{cache}".encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return os.path.join(runtime_dir(env), f"review-{tag}.sock")


def beside(sock: str, suffix: str) -> str:
    """The file beside the server's socket ``sock`` (``.../review-<tag>.sock``) named with ``suffix``
    in place of ``.sock``: ``.pid`` (the server's pid), ``.log`` (its errors), ``.lock``
    (:func:`bot.cli.cmdserver.hold_lock`)."""
    return os.path.splitext(sock)[0] + suffix


def server_pid(sock: str) -> int | None:
    """The pid in the pid file beside ``sock`` when that process exists (signal 0, kill(2)); None
    when there is no such file, it holds no number, or the process is gone."""
    try:
        with open(beside(sock, ".pid"), encoding="ascii") as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def server_command(path, idle_s: float, warm: tuple[str, str, str] | None = None) -> list[str]:  # noqa: ANN001 - a str or a pathlib.Path
    """The command line that runs the server on ``path``: ``warm``, ``(repository, head, index cache
    directory)`` of the review that starts it, is the first warm state the server loads
    (:mod:`bot.cli.warmstate`), for the review that follows. This interpreter with ``-P`` (Python
    3.11+, "don't prepend a potentially unsafe path to sys.path"), so that ``-m`` never puts the
    working directory first on ``sys.path``. Without it, ``quorum server start`` run inside a
    repository under review imported that repository's packages (its ``pydantic/``, say) in place
    of the installed ones: code from the pull request, run by the reviewer. ``PYTHONPATH`` is still
    honoured (the caller's choice, not the repository's). Here, beside the client, so that a review
    that starts a server (:mod:`bot.cli.autostart`) need not import :mod:`bot.cli.cmdserver` (~5 ms)."""
    return [sys.executable, "-P", "-m", "bot.cli.cmdserver", str(path), str(idle_s), *(warm or ())]


def private_dir(path: str) -> bool:
    """Create ``path`` 0700 if needed; True when it is a directory owned by us with no access for others."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError:
        return False
    return st.st_uid == os.getuid() and (st.st_mode & 0o077) == 0


def encode_request(argv: list[str], cwd: str, env, age_at_entry: float | None,  # noqa: ANN001 - a mapping
                   entry_wall: float) -> bytes:
    """The request header: NUL-separated fields (see the module docstring). Raises ValueError
    when a string holds a NUL byte (the operating system never hands one over)."""
    fields = [REQUEST_MAGIC, os.fsencode(cwd), b"" if age_at_entry is None else repr(float(age_at_entry)).encode(),
              repr(float(entry_wall)).encode(), str(len(argv)).encode()]
    fields += [os.fsencode(a) for a in argv]
    fields += [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    if any(b"\0" in f for f in fields):
        raise ValueError("a request field holds a NUL byte")
    return b"\0".join(fields)


def decode_request(data: bytes) -> dict:
    """The request of :func:`encode_request`: ``{"argv", "cwd", "env", "age_at_entry",
    "entry_wall"}``. Raises ValueError for anything else."""
    fields = data.split(b"\0")
    if len(fields) < 5 or fields[0] != REQUEST_MAGIC:
        raise ValueError("not a review request")
    count = int(fields[4])
    if count < 0 or 5 + count > len(fields):
        raise ValueError("bad argument count")
    env: dict[str, str] = {}
    for entry in fields[5 + count:]:
        key, sep, value = entry.partition(b"=")
        if not sep or not key:
            raise ValueError("bad environment entry")
        env[os.fsdecode(key)] = os.fsdecode(value)
    return {
        "argv": [os.fsdecode(a) for a in fields[5:5 + count]],
        "cwd": os.fsdecode(fields[1]),
        "env": env,
        "age_at_entry": float(fields[2]) if fields[2] else None,
        "entry_wall": float(fields[3]),
    }


def try_review(argv: list[str], *, age_at_entry: float | None, entry_wall: float) -> int | None:
    """Run ``quorum <argv>`` in the server; the exit status, or None when no usable server answered
    the connection (the caller then runs the command itself). ``age_at_entry`` (process age at the
    client's entry point, seconds) and ``entry_wall`` (``time.time()`` then) keep the review's
    ``timings`` about the client's process."""
    if not socket_present(os.environ):
        return None  # no server was ever started: skip the fingerprint
    path = socket_path()
    if not os.path.exists(path) or not private_dir(os.path.dirname(path)):
        return None
    try:
        header = encode_request(argv, os.getcwd(), os.environ, age_at_entry, entry_wall)
    except (ValueError, OSError):
        return None
    sock = _sock.socket(_sock.AF_UNIX, _sock.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    try:
        sock.sendmsg([len(header).to_bytes(4, "big") + header],
                     [(_sock.SOL_SOCKET, _sock.SCM_RIGHTS, b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2)))])
    except OSError:
        sock.close()
        return None  # nothing was handed over: run it here
    try:
        pid_bytes = _recv_exact(sock, 4)
        if pid_bytes is None:
            return _lost()
        child = int.from_bytes(pid_bytes, "big", signed=True)
        while True:
            try:
                code = _recv_exact(sock, 4)
                break
            except KeyboardInterrupt:
                try:
                    os.kill(child, _signal.SIGINT)
                except OSError:
                    pass
        return _lost() if code is None else int.from_bytes(code, "big", signed=True)
    finally:
        sock.close()


def _lost() -> int:
    sys.stderr.write("quorum: error: the review server lost the review (see `quorum server status`)\n")
    return 3


def _recv_exact(sock, n: int) -> bytes | None:  # noqa: ANN001 - a socket
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data
