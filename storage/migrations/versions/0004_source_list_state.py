"""sources.list_state: what a list shows besides title and date (gkmlpt 文号 and 废止 flags)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        batch_op.add_column(sa.Column('list_state', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch_op:
        batch_op.drop_column('list_state')
