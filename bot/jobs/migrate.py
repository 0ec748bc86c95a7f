"""Schema migrations of the PostgreSQL job database (Alembic) and the start-up version check.

``upgrade(url)`` is what ``quorum db upgrade`` runs: it takes a PostgreSQL advisory lock first, so
several processes (or operators) upgrading at once apply each revision exactly once
(https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS). ``check(url)`` is
what every PostgreSQL process (``quorum serve``, ``quorum worker``) runs before it starts: it
raises ``SchemaOutOfDate`` with a one-line message when the database is not at this release's
head revision. The embedded SQLite queue creates its own tables and needs neither.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import QuorumError

MIGRATIONS = Path(__file__).with_name("migrations")
_UPGRADE_LOCK = 0x51_55_4F_52_55_4E  # advisory lock key of `quorum db upgrade` ("QUORUN")


class SchemaOutOfDate(QuorumError):
    """The database is not at the schema revision this Quorum needs (message: one line)."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def pg_url(url: str) -> str:
    """``url`` with the psycopg 3 driver (``postgresql://`` and ``postgres://`` are read as it)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def head_revision() -> str:
    """The newest revision shipped with this release."""
    return str(ScriptDirectory.from_config(_config()).get_current_head())


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None: never migrated). Raises QuorumError."""
    engine = create_engine(pg_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise QuorumError(f"job database {make_url(url).render_as_string(hide_password=True)}: "
                          f"{str(exc).splitlines()[0][:200]}") from exc
    finally:
        engine.dispose()


def upgrade(url: str) -> tuple[str | None, str]:
    """Apply every pending migration under an advisory lock; returns ``(before, after)`` revisions."""
    engine = create_engine(pg_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_UPGRADE_LOCK)))
            before = MigrationContext.configure(conn).get_current_revision()
            cfg = _config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            after = MigrationContext.configure(conn).get_current_revision()
        return before, str(after)
    except SQLAlchemyError as exc:
        raise QuorumError(f"quorum db upgrade failed: {str(exc).splitlines()[0][:300]}") from exc
    finally:
        engine.dispose()


def check(url: str) -> None:
    """Raise SchemaOutOfDate (one line) unless the database at ``url`` is at ``head_revision()``."""
    want, have = head_revision(), current_revision(url)
    if have != want:
        state = "has no Quorum schema" if have is None else f"is at schema revision {have}"
        raise SchemaOutOfDate(f"the database {state}; this Quorum needs revision {want}: run `quorum db upgrade`")


__all__ = ["SchemaOutOfDate", "check", "current_revision", "head_revision", "pg_url", "upgrade"]
