"""A throwaway PostgreSQL 15 cluster in a temp directory (initdb + pg_ctl), for tests and benchmarks.

``pg_cluster_running()`` starts it and stops and deletes it afterwards; ``PgCluster.new_log_url()``
hands out a fresh, empty schema per caller. Used by the ``pg_cluster`` pytest fixture
(tests/conftest.py) and by evals/bench/bench_scale.py. Never used by production code.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ClusterUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (binaries missing, no user to run initdb, start failed)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as_prefixes() -> list[tuple[list[str], str | None]]:
    """How to run initdb: as ourselves when not root; as postgres, then nobody, via runuser when root."""
    if os.geteuid() != 0:
        return [([], None)]
    runuser = shutil.which("runuser")
    if runuser is None:
        return []
    users = []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        users.append(([runuser, "-u", user, "--"], user))
    return users


class PgCluster:
    """A running throwaway cluster: unix socket in ``socket_dir``, superuser ``postgres``."""

    def __init__(self, socket_dir: Path, port: int) -> None:
        self.socket_dir = socket_dir
        self.port = port
        self._names = itertools.count(1)

    def new_log_url(self) -> str:
        """A URL whose connections use a fresh, empty schema (``CREATE SCHEMA`` is much faster than
        ``CREATE DATABASE``): each test gets its own empty decision log."""
        import psycopg  # noqa: PLC0415

        name = f"log_{next(self._names)}"
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return (f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}&port={self.port}"
                f"&options=-csearch_path%3D{name}")


@contextmanager
def pg_cluster_running() -> Iterator[PgCluster]:
    """Start PostgreSQL 15 in a temp dir (initdb + pg_ctl), stop it and delete it afterwards.

    initdb refuses to run as root, so as root it runs through ``runuser -u postgres`` (or
    ``nobody``). Raises ClusterUnavailable with the reason when the binaries are missing, no user
    can run them, or the server does not start.
    """
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.exists() and pg_ctl.exists()):
        raise ClusterUnavailable(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    prefixes = _run_as_prefixes()
    if not prefixes:
        raise ClusterUnavailable("running as root without runuser: initdb refuses root")
    # Not pytest's tmp_path: it is mode 0700 under root's tree, unreachable for the postgres user.
    # /tmp keeps the socket path short (unix sockets allow ~107 bytes) and reachable.
    base = Path(tempfile.mkdtemp(prefix="quorum-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    errors: list[str] = []
    chosen: list[str] | None = None
    for prefix, user in prefixes:
        if user is not None:
            shutil.chown(base, user=user)
        data = base / "data"
        proc = subprocess.run(
            [*prefix, str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, cwd=base, check=False,
        )
        if proc.returncode == 0:
            chosen = prefix
            break
        errors.append(f"{user or 'self'}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
        shutil.rmtree(data, ignore_errors=True)
    if chosen is None:
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable("initdb failed: " + "; ".join(errors))
    port = _free_port()
    options = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200"
    start = subprocess.run(
        [*chosen, str(pg_ctl), "-D", str(base / "data"), "-o", options, "-l", str(base / "server.log"), "-w",
         "-t", "30", "start"],
        capture_output=True, text=True, cwd=base, check=False,
    )
    if start.returncode != 0:
        log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise ClusterUnavailable(f"pg_ctl start failed: {start.stderr.strip()} {log[-500:]}")
    try:
        yield PgCluster(base, port)
    finally:
        subprocess.run(
            [*chosen, str(pg_ctl), "-D", str(base / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True, text=True, cwd=base, check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


__all__ = ["PG_BIN", "ClusterUnavailable", "PgCluster", "pg_cluster_running"]
