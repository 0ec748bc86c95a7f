"""``quorum review`` starts the command server (:mod:`bot.cli.cmdserver`) for the reviews that
follow, as Gradle starts its daemon: the first review runs in its own process as always, and when
it has completed and written its output, it leaves a server behind (detached, in its own session)
that has imported Quorum, compiled its rules and loaded its grammars. The next ``quorum review``
of the same code and cache directory hands its request to it (:mod:`bot.cli.cmdclient`) and skips
the ~60-80 ms of imports and the loading a fresh process pays (issue 14: served reviews run at
about half the wall time of fresh ones, RESULTS.md). The server exits by itself after
:data:`AUTOSTART_IDLE_S` seconds without a review, or once Quorum's code changes (another
fingerprint, another socket).

Only the console script's review does this (:func:`bot.cli.entry.main`), only after a review that
completed (exit status 0), only on Linux (the server checks its peer with ``SO_PEERCRED`` and
receives file descriptors), and never when:

- ``QUORUM_SERVER`` is off (``0``, ``no``, ``off``, ``false``): no server is used either;
- ``QUORUM_SERVER_AUTOSTART`` is off (same values): a server started by hand is still used;
- ``CI`` is set to anything but an off value, or ``TF_BUILD`` or ``JENKINS_URL`` is set: a CI job's
  machine is thrown away after the job, and a process left behind there would only keep the job's
  container alive. (GitHub Actions, GitLab CI/CD, CircleCI, Travis CI and Buildkite set ``CI``;
  Azure Pipelines sets ``TF_BUILD`` and Jenkins ``JENKINS_URL`` instead; source: each provider's
  list of predefined environment variables. Elsewhere set ``QUORUM_SERVER_AUTOSTART=0``.)
- a server for this code and cache directory already listens or is starting (its pid file names a
  live process). A socket file whose server died (killed, say) is replaced.

What the server runs is Quorum's own module with ``-P`` from ``/`` (:func:`bot.cli.cmdclient.server_command`):
nothing of the repository under review is imported or executed. A server that cannot start
(another one took the lock first, a directory that is not private) exits by itself; its errors go
to the log file beside its socket. The review's own output and exit status never depend on it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from bot.cli.serverprobe import turned_off

AUTOSTART_ENV = "QUORUM_SERVER_AUTOSTART"
"""Set to ``0`` (or ``no``, ``off``, ``false``) so that ``quorum review`` starts no server."""
AUTOSTART_IDLE_S = 900.0
"""Seconds without a review after which a server started by a review exits (``quorum server start``
keeps its own ``--idle``, default 1800)."""
CI_MARKERS = ("TF_BUILD", "JENKINS_URL")
"""Variables that mark a CI job where ``CI`` is not set (Azure Pipelines, Jenkins): any non-empty value."""


def wanted(environ: Mapping[str, str], *, platform: str | None = None) -> bool:
    """True when a review may leave a server behind (the rules of the module docstring, without the
    check for a running server): Linux, ``QUORUM_SERVER`` and :data:`AUTOSTART_ENV` not off, no
    ``CI`` other than an off value, and none of :data:`CI_MARKERS`."""
    if (platform or sys.platform) != "linux":
        return False
    if turned_off(environ, "QUORUM_SERVER") or turned_off(environ, AUTOSTART_ENV):
        return False
    if any(environ.get(name) for name in CI_MARKERS):
        return False
    return not environ.get("CI", "").strip() or turned_off(environ, "CI")


def start_after_review(environ: Mapping[str, str] | None = None, *, notice: bool = True,
                       argv: Sequence[str] | None = None) -> int | None:
    """Start a detached server for this code and ``QUORUM_CACHE_DIR`` unless :func:`wanted` says no
    or one already runs; its pid, or None when none was started. Never raises: any error (no
    private runtime directory, a failed ``fork``) means no server and nothing else. ``notice``:
    say so in one line on stderr when stderr is a terminal (a script's or a hook's stderr stays as
    it was). ``argv``: the review's arguments (``["review", ...]``): the server first loads the
    warm state of that review's repository and head (:mod:`bot.cli.warmstate`), as it does after
    each review it serves, so that the next review, the first it serves, finds it."""
    env = os.environ if environ is None else environ
    if not wanted(env):
        return None
    try:
        from bot.cli import cmdclient
        from bot.cli.warmstate import job_of

        job = job_of({"argv": list(argv), "cwd": os.getcwd(), "env": dict(env)}) if argv else None
        warm = None if job is None else (job.repo, job.head, str(job.cache_dir))

        sock = cmdclient.socket_path(env)
        if cmdclient.server_pid(sock) is not None:  # a socket without a live server is stale: the new server replaces it
            return None
        if not cmdclient.private_dir(os.path.dirname(sock)):
            return None
        # posix_spawn, not subprocess.Popen: nothing to wait for or to collect in this process, which
        # ends right after. Only descriptors 0-2 are inherited (Python opens every other one
        # close-on-exec, PEP 446); the server changes to "/" itself (bot.cli.cmdserver).
        pid = os.posix_spawn(
            sys.executable, cmdclient.server_command(sock, AUTOSTART_IDLE_S, warm), dict(env), setsid=True,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                          (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                          (os.POSIX_SPAWN_OPEN, 2, cmdclient.beside(sock, ".log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)],
        )
    except Exception:  # noqa: BLE001 - the review is done and its status stands; a server only speeds up the next one
        return None
    if notice and sys.stderr.isatty():
        sys.stderr.write(f"quorum: started a review server in the background (pid {pid}); later reviews are"
                         f" faster. It stops after {AUTOSTART_IDLE_S / 60:g} min without a review"
                         f" ({AUTOSTART_ENV}=0 turns this off, `quorum server stop` stops it).\n")
        sys.stderr.flush()
    return pid
