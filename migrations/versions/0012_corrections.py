"""corrections: patients' requests to correct their record, and the clinic's deadline

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_corrections'
down_revision = '0012_booking'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings') as batch:
        batch.add_column(sa.Column('correction_months', sa.Integer(), nullable=False,
                                   server_default='1'))
    op.create_table(
        'correction_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('record_item_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('original', sa.JSON(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.Column('corrected_value', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_correction_requests_patient_id_patients')),
        sa.ForeignKeyConstraint(['record_item_id'], ['record_items.id'],
                                name=op.f('fk_correction_requests_record_item_id_record_items')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_correction_requests_requested_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_correction_requests_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_requests')),
    )
    op.create_index('ix_correction_requests_status_due', 'correction_requests',
                    ['status', 'due_on'])
    op.create_index('ix_correction_requests_patient_item', 'correction_requests',
                    ['patient_id', 'record_item_id'])


def downgrade():
    op.drop_index('ix_correction_requests_patient_item', table_name='correction_requests')
    op.drop_index('ix_correction_requests_status_due', table_name='correction_requests')
    op.drop_table('correction_requests')
    with op.batch_alter_table('clinic_settings') as batch:
        batch.drop_column('correction_months')
