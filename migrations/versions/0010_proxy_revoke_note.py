"""proxy access: what staff wrote when ending a grant

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proxy_grants') as batch:
        batch.add_column(sa.Column('revoke_note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('proxy_grants') as batch:
        batch.drop_column('revoke_note')
