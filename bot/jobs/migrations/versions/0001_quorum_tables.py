"""Quorum's job tables: deliveries, per-PR state, feedback, installations, posting records, the
shared GitHub write log, job notes (and the embedded queue's own job table, unused on PostgreSQL).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quorum_deliveries',
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=True),
    sa.Column('installation_id', sa.BigInteger(), nullable=True),
    sa.Column('repo', sa.Text(), nullable=True),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('jobs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('delivery_id')
    )
    op.create_table('quorum_feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('repo', sa.String(length=300), nullable=False),
    sa.Column('pr_number', sa.BigInteger(), nullable=False),
    sa.Column('finding_id', sa.String(length=100), nullable=False),
    sa.Column('rule_id', sa.String(length=200), nullable=False),
    sa.Column('agent', sa.String(length=100), nullable=True),
    sa.Column('vote', sa.String(length=10), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('repo', 'pr_number', 'finding_id', 'actor', name='uq_quorum_feedback_vote')
    )
    op.create_table('quorum_installation_gate',
    sa.Column('installation_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('installation_id')
    )
    op.create_table('quorum_installations',
    sa.Column('installation_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('repositories', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('installation_id')
    )
    op.create_table('quorum_job_notes',
    sa.Column('job_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('job_id')
    )
    op.create_table('quorum_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('repo', sa.Text(), nullable=True),
    sa.Column('pr_number', sa.BigInteger(), nullable=True),
    sa.Column('installation_id', sa.BigInteger(), nullable=True),
    sa.Column('head_sha', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.Text(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.Float(), nullable=False),
    sa.Column('lease_until', sa.Float(), nullable=True),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_quorum_jobs_pr', 'quorum_jobs', ['repo', 'pr_number', 'status'], unique=False)
    op.create_index('ix_quorum_jobs_status', 'quorum_jobs', ['status', 'not_before'], unique=False)
    op.create_table('quorum_postings',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('artifact_id', sa.String(length=100), nullable=True),
    sa.Column('claimed_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key')
    )
    op.create_table('quorum_pr_state',
    sa.Column('repo', sa.String(length=300), nullable=False),
    sa.Column('pr_number', sa.BigInteger(), nullable=False),
    sa.Column('human_required', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('repo', 'pr_number')
    )
    op.create_table('quorum_write_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('installation_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_quorum_write_log_inst_at', 'quorum_write_log', ['installation_id', 'at'], unique=False)


def downgrade() -> None:
    for name in ("quorum_write_log", "quorum_pr_state", "quorum_postings", "quorum_jobs", "quorum_job_notes",
                 "quorum_installations", "quorum_installation_gate", "quorum_feedback", "quorum_deliveries"):
        op.drop_table(name)
