"""freshness: per-source revisit state, incomplete documents, per-portal deep-walk state

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-23 10:00:00

Why: crawler.freshness re-checks known pages on a bounded, spread schedule and walks every list
to its end on a schedule; these columns are what it reads and writes (and what ``status`` shows).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portals') as batch_op:
        batch_op.add_column(sa.Column('last_deep_walk', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_deep_walk', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('baseline_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('documents') as batch_op:
        batch_op.add_column(sa.Column('incomplete', sa.String(length=300), nullable=True))
    with op.batch_alter_table('sources') as batch_op:
        batch_op.add_column(sa.Column('last_verified', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_changed', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('change_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_check', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('check_deadline', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_checks', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        for name in ('failed_checks', 'check_deadline', 'next_check', 'change_count', 'last_changed', 'last_verified'):
            batch_op.drop_column(name)
    with op.batch_alter_table('documents') as batch_op:
        batch_op.drop_column('incomplete')
    with op.batch_alter_table('portals') as batch_op:
        for name in ('baseline_at', 'next_deep_walk', 'last_deep_walk'):
            batch_op.drop_column(name)
