"""Fixtures shared by every test package: a throwaway PostgreSQL 15 cluster started in a temp
directory (``pg_cluster``, session-scoped; see ``bot.testing.pgcluster``). Tests that use it are
marked ``postgres``; they skip, with the reason, where PostgreSQL cannot run.

No test's ``quorum review`` leaves a command server behind (``QUORUM_SERVER_AUTOSTART=0`` for the
session, inherited by every subprocess whose environment derives from this one): a server started
from a test's temporary venv or cache would outlive it. ``tests/cli/test_autostart.py`` turns it
back on where it tests it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.testing.pgcluster import ClusterUnavailable, PgCluster, pg_cluster_running


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL 15 cluster for the session; ``new_log_url()`` gives each test its own schema."""
    try:
        with pg_cluster_running() as cluster:
            yield cluster
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session", autouse=True)
def _no_server_autostart() -> Iterator[None]:
    """``QUORUM_SERVER_AUTOSTART=0`` for the whole session (module docstring)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUORUM_SERVER_AUTOSTART", "0")
        yield
