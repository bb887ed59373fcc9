"""subscribers.apprise (Apprise URLs: DingTalk, Feishu, Telegram …) and alerts.target

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 12:40:00

Why: a subscriber may list several Apprise URLs, and each is its own delivery (its own
claim, retries and idempotency key), so an alert row names which one: ``target`` is a short
digest of the URL (the URL itself carries its token and never goes into a key or a log).
E-mail and WeCom rows leave it empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscribers') as batch_op:
        batch_op.add_column(sa.Column('apprise', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.add_column(sa.Column('target', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts') as batch_op:
        batch_op.drop_column('target')
    with op.batch_alter_table('subscribers') as batch_op:
        batch_op.drop_column('apprise')
