"""Is a command server (:mod:`bot.cli.cmdserver`) possibly listening? Decided with one
``listdir`` and the ``os`` module only, so a plain ``quorum review`` (no server was ever started,
the usual case) pays nothing for the opt-in server: :mod:`bot.cli.cmdserver` and what it imports
(``socket``, ``hashlib``, ``json``, ``struct``) are loaded only when a socket file is there.
"""

from __future__ import annotations

import os

OFF = ("0", "no", "off", "false")
"""Values (case and surrounding blanks aside) of ``QUORUM_SERVER``, ``QUORUM_SERVER_AUTOSTART`` and
``CI`` that mean "off"."""


def turned_off(environ: dict[str, str] | os._Environ[str], name: str) -> bool:
    """True when the variable ``name`` of ``environ`` holds one of :data:`OFF`."""
    return environ.get(name, "").strip().lower() in OFF


def runtime_dir(environ: dict[str, str] | os._Environ[str]) -> str:
    """The directory the servers' sockets live in: ``$XDG_RUNTIME_DIR/quorum`` when that variable
    names a directory, else ``/tmp/quorum-<uid>``."""
    runtime = environ.get("XDG_RUNTIME_DIR")
    return os.path.join(runtime, "quorum") if runtime and os.path.isdir(runtime) else f"/tmp/quorum-{os.getuid()}"


def socket_present(environ: dict[str, str] | os._Environ[str]) -> bool:
    """True when :func:`runtime_dir` holds a ``review-*.sock`` file (a server of some code may
    listen); False when the directory is missing or unreadable or holds none."""
    try:
        names = os.listdir(runtime_dir(environ))
    except OSError:
        return False
    return any(n.startswith("review-") and n.endswith(".sock") for n in names)
