"""The procrastinate queue's schema (procrastinate 3.10's ``schema.sql``), plus the index that
the fair-share priority of ``bot.jobs.pg`` reads (queued jobs per installation).

A later procrastinate release that changes its schema ships SQL migrations
(``procrastinate schema --migrations-path``); each becomes one Alembic revision after this one.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    # psycopg's own execute without parameters: the schema text contains literal '%' signs.
    bind.connection.driver_connection.execute(SchemaManager.get_schema())
    bind.exec_driver_sql(
        "CREATE INDEX quorum_todo_by_installation ON procrastinate_jobs "
        "((args->>'installation_id'), priority) WHERE status = 'todo'"
    )


def downgrade() -> None:
    raise NotImplementedError("procrastinate's schema is not dropped by a downgrade: drop it by hand")
