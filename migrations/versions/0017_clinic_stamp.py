"""clinic settings stamp: a new random number at every change, so each worker keeps the
settings it read and reads them again only when another change has landed

Revision ID: 0017_clinic_stamp
Revises: 0016_submissions
Create Date: 2026-12-06 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_clinic_stamp'
down_revision = '0016_submissions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings') as batch:
        batch.add_column(sa.Column('stamp', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('clinic_settings') as batch:
        batch.drop_column('stamp')
