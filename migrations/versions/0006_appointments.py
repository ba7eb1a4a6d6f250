"""appointments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BOOKED_ONLY = sa.text("status = 'booked'")


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), server_default='24',
                                      nullable=False))
        batch_op.add_column(sa.Column('check_in_days', sa.Integer(), server_default='3',
                                      nullable=False))

    op.create_table('appointment_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('bookable_online', sa.Boolean(), nullable=False),
    sa.Column('cancel_cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_types'))
    )
    op.create_table('practitioners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioners'))
    )
    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    op.create_table('closed_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days')),
    sa.UniqueConstraint('day', name=op.f('uq_closed_days_day'))
    )
    op.create_table('appointment_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_appointment_slots_appointment_type_id_appointment_types')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_appointment_slots_location_id_locations')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_appointment_slots_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_slots')),
    sa.UniqueConstraint('practitioner_id', 'starts_at', name='uq_appointment_slots_practitioner')
    )
    op.create_index('ix_appointment_slots_starts_at', 'appointment_slots', ['starts_at'], unique=False)
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('booked_at', sa.DateTime(), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('check_in', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_appointments_appointment_type_id_appointment_types')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_appointments_booked_by_id_users')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_appointments_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_appointments_patient_id_patients')),
    sa.ForeignKeyConstraint(['slot_id'], ['appointment_slots.id'], name=op.f('fk_appointments_slot_id_appointment_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    # At most one booked appointment per slot: the database itself refuses a double booking.
    op.create_index('uq_appointments_booked_slot', 'appointments', ['slot_id'], unique=True,
                    sqlite_where=BOOKED_ONLY, postgresql_where=BOOKED_ONLY)
    op.create_index('ix_appointments_patient_start', 'appointments', ['patient_id', 'starts_at'], unique=False)
    op.create_index('ix_appointments_status_start', 'appointments', ['status', 'starts_at'], unique=False)
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referred_to', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('fhir_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_referrals_created_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_referrals_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    op.create_index('ix_referrals_patient_date', 'referrals', ['patient_id', 'referred_on'], unique=False)


def downgrade():
    op.drop_index('ix_referrals_patient_date', table_name='referrals')
    op.drop_table('referrals')
    op.drop_index('ix_appointments_status_start', table_name='appointments')
    op.drop_index('ix_appointments_patient_start', table_name='appointments')
    op.drop_index('uq_appointments_booked_slot', table_name='appointments')
    op.drop_table('appointments')
    op.drop_index('ix_appointment_slots_starts_at', table_name='appointment_slots')
    op.drop_table('appointment_slots')
    op.drop_table('closed_days')
    op.drop_table('locations')
    op.drop_table('practitioners')
    op.drop_table('appointment_types')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('check_in_days')
        batch_op.drop_column('reminder_hours')
