"""Alembic migrations of Quorum's PostgreSQL job database (applied by ``quorum db upgrade``)."""
