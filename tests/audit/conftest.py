"""Fixtures for the decision-log tests: review results, stores on SQLite and on a throwaway
PostgreSQL 15 cluster started in a temp directory (tests marked ``postgres``)."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.core.models import (
    Action,
    Decision,
    Finding,
    PullRequestInfo,
    Reason,
    ReviewResult,
    Severity,
    Status,
    Timings,
    Verdict,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def make_result(
    *,
    repo: str = "acme/widgets",
    number: int | None = 7,
    head_sha: str = "b" * 40,
    base_sha: str = "a" * 40,
    action: Action = Action.comment,
    policy_version: str = "p" * 64,
    decision_id: str | None = None,
    findings: int = 1,
) -> ReviewResult:
    """A small but complete ReviewResult: two verdicts, ``findings`` findings on the safety one."""
    found = [
        Finding.make(
            rule_id="SAF001",
            agent="safety",
            severity=Severity.major,
            message=f"subprocess with shell=True #{i}",
            path="app/run.py",
            line=10 + i,
            evidence=[f"app/run.py:{10 + i} run"],
            suggestion="pass a list of arguments",
        )
        for i in range(findings)
    ]
    verdicts = [
        Verdict(agent="intent", status=Status.passed, risk=0.1, confidence=0.9, model="offline", elapsed_ms=3.5),
        Verdict(
            agent="safety",
            status=Status.concern if findings else Status.passed,
            risk=0.6,
            confidence=0.8,
            findings=found,
            model="offline",
            prompt_version="safety-v1",
            tokens=120,
            cost_usd=0.0012,
            elapsed_ms=12.25,
        ),
    ]
    decision = Decision(
        action=action,
        reasons=[Reason(rule_id="gate.agents_pass", message="safety raised a concern")],
        risk=0.6,
        policy_version=policy_version,
        decision_id=decision_id or f"D-{repo}-{number}-{head_sha[:7]}-{policy_version[:4]}",
    )
    pr = PullRequestInfo(repo=repo, number=number, title="Add runner", base_sha=base_sha, head_sha=head_sha)
    return ReviewResult(
        pr=pr,
        verdicts=verdicts,
        decision=decision,
        timings=Timings(total_ms=20.0),
        diff_sha256="d" * 64,
        diff_stats={"files": 1, "additions": 12, "deletions": 2},
    )


@pytest.fixture
def result_factory() -> Callable[..., ReviewResult]:
    """``make_result`` as a fixture (keyword arguments as above)."""
    return make_result


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite log in a directory that does not exist yet (the store must create it)."""
    return f"sqlite:///{tmp_path / 'data' / 'decisions.sqlite3'}"


# -- PostgreSQL ---------------------------------------------------------------------------


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
        import psycopg

        name = f"log_{next(self._names)}"
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return (f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}&port={self.port}"
                f"&options=-csearch_path%3D{name}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """Start PostgreSQL 15 in a temp dir (initdb + pg_ctl), stop it and delete it afterwards.

    initdb refuses to run as root, so as root it runs through ``runuser -u postgres`` (or
    ``nobody``). Skips with the reason when the binaries are missing or no user can run them.
    """
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.exists() and pg_ctl.exists()):
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    prefixes = _run_as_prefixes()
    if not prefixes:
        pytest.skip("running as root without runuser: initdb refuses root")
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
        pytest.skip("initdb failed: " + "; ".join(errors))
    port = _free_port()
    options = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=60"
    start = subprocess.run(
        [*chosen, str(pg_ctl), "-D", str(base / "data"), "-o", options, "-l", str(base / "server.log"), "-w",
         "-t", "30", "start"],
        capture_output=True, text=True, cwd=base, check=False,
    )
    if start.returncode != 0:
        log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {start.stderr.strip()} {log[-500:]}")
    try:
        yield PgCluster(base, port)
    finally:
        subprocess.run(
            [*chosen, str(pg_ctl), "-D", str(base / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True, text=True, cwd=base, check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A fresh, empty log URL on each backend (SQLite file; new database on the test cluster)."""
    if request.param == "sqlite":
        return sqlite_url
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_log_url()
