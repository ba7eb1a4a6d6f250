"""correction requests: whether the accepted correction took the item out of the record

Revision ID: 0018_correction_removed
Revises: 0017_clinic_stamp
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_correction_removed'
down_revision = '0017_clinic_stamp'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('correction_requests') as batch:
        batch.add_column(sa.Column('removed', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('correction_requests') as batch:
        batch.drop_column('removed')
