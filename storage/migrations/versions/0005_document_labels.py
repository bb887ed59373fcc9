"""document_labels: people's verdicts on documents (eduwatch label), overriding the classifier

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-23 12:00:00

Why: subscribers correct the rural-education-plan classifier; the verdict, who gave it and when
are kept, and the latest one per document wins over the rules. It revises 0006 (committed
before this one although numbered after it) so the history stays one line.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_labels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('is_plan', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('labelled_by', sa.String(length=100), nullable=False),
        sa.Column('labelled_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_document_labels_document_id'), 'document_labels', ['document_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_labels_document_id'), table_name='document_labels')
    op.drop_table('document_labels')
