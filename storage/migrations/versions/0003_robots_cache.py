"""robots_cache: robots.txt kept across crawl runs (RFC 9309 allows up to 24 hours)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('robots_cache',
    sa.Column('origin', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('origin')
    )


def downgrade() -> None:
    op.drop_table('robots_cache')
