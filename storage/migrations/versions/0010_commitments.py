"""commitments: the commitments each revision of a plan states (issue 17, the plan tracker)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:15:00

Why: researchers follow what each county promised, by when, and what quietly changed; the
monitor's change pass extracts the commitments of every plan revision and compares them with the
revision before (``commitment_changed``). One row per commitment per revision.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'commitments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sentence', sa.Text(), nullable=False),
        sa.Column('section', sa.Text(), nullable=True),
        sa.Column('indicator', sa.Text(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('recurring', sa.String(length=20), nullable=True),
        sa.Column('target', sa.Float(), nullable=True),
        sa.Column('target_max', sa.Float(), nullable=True),
        sa.Column('unit', sa.String(length=20), nullable=True),
        sa.Column('comparison', sa.String(length=20), nullable=True),
        sa.Column('scope', sa.String(length=100), nullable=True),
        sa.Column('lead', sa.Text(), nullable=True),
        sa.Column('partners', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_commitments_deadline', 'commitments', ['deadline'], unique=False)
    op.create_index(op.f('ix_commitments_document_id'), 'commitments', ['document_id'], unique=False)
    op.create_index(op.f('ix_commitments_revision_id'), 'commitments', ['revision_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_commitments_revision_id'), table_name='commitments')
    op.drop_index(op.f('ix_commitments_document_id'), table_name='commitments')
    op.drop_index('ix_commitments_deadline', table_name='commitments')
    op.drop_table('commitments')
