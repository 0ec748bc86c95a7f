"""Fixtures shared by every test package: a throwaway PostgreSQL 15 cluster started in a temp
directory (``pg_cluster``, session-scoped; see ``bot.testing.pgcluster``). Tests that use it are
marked ``postgres``; they skip, with the reason, where PostgreSQL cannot run."""

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
