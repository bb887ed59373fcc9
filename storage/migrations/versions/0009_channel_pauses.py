"""channel_pauses (a mail server or webhook host that is down) and alerts.outage_claims

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00

Why: an unreachable channel used to charge the first alert in line an attempt on every pass,
so a long outage killed alerts. Now the channel is paused as a whole with backoff (kept here so
a restart respects it), and a claim that ended in an outage is counted in ``outage_claims``,
not as an attempt of the alert.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_pauses',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('since', sa.DateTime(), nullable=False),
        sa.Column('until', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.add_column(sa.Column('outage_claims', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.drop_column('outage_claims')
    op.drop_table('channel_pauses')
