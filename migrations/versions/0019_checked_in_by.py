"""appointments: who checked in (the patient, or a parent or carer acting for them)

Revision ID: 0019_checked_in_by
Revises: 0018_correction_removed
Create Date: 2026-12-06 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_checked_in_by'
down_revision = '0018_correction_removed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('checked_in_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_appointments_checked_in_by_id_users', 'users',
                                 ['checked_in_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointments') as batch:
        batch.drop_constraint('fk_appointments_checked_in_by_id_users', type_='foreignkey')
        batch.drop_column('checked_in_by_id')
