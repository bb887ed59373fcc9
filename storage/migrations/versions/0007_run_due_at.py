"""crawl_runs.due_at: when a scheduled run was due, so its start's lag can be shown

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-24 10:00:00

Why: the daemon gathers due portals into shared crawl children; ``eduwatch status`` shows per
portal how late its runs start (started_at - due_at) and the share started on time. Runs not
started by the schedule (manual crawls, recrawls) leave it empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crawl_runs') as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('crawl_runs') as batch_op:
        batch_op.drop_column('due_at')
