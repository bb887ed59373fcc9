"""search index (search_entries; SQLite FTS5 search_fts) and subscribers' feed tokens

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00

Why: the web view and ``eduwatch search`` search titles, bodies and attachment texts in
Chinese; the index is written with each document (storage.search). Feed tokens let a
subscriber's Atom feed be read without an account; only their hashes are kept.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from storage.search.schema import CREATE_FTS, FTS_TABLE

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'search_entries',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('terms', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id'),
        sa.UniqueConstraint('row_id'),
    )
    op.create_index('ix_search_entries_terms', 'search_entries', ['terms'], unique=False, postgresql_using='gin')
    op.create_table(
        'feed_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('hint', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(op.f('ix_feed_tokens_subscriber_id'), 'feed_tokens', ['subscriber_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(CREATE_FTS)
    # Documents stored before this revision are indexed by `eduwatch reindex` (the README says so).


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'DROP TABLE IF EXISTS {FTS_TABLE}')
    op.drop_index(op.f('ix_feed_tokens_subscriber_id'), table_name='feed_tokens')
    op.drop_table('feed_tokens')
    op.drop_index('ix_search_entries_terms', table_name='search_entries')
    op.drop_table('search_entries')
