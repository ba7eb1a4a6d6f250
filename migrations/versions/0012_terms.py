"""terms: patient-friendly names and explanations of codes, in English, Dutch and Polish

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:10:00

The starter set is loaded by `flask portal load-terminology`, not here: a clinic's staff
edit entries, and a later starter set must add to them without a migration.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0012_corrections'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'terms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('name_nl', sa.String(length=200), nullable=False),
        sa.Column('name_pl', sa.String(length=200), nullable=False),
        sa.Column('explanation_en', sa.Text(), nullable=False),
        sa.Column('explanation_nl', sa.Text(), nullable=False),
        sa.Column('explanation_pl', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('system', 'code', name='uq_terms_system_code'),
    )


def downgrade():
    op.drop_table('terms')
