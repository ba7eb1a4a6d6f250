"""booking: an appointment reserves every slot it overlaps; moves keep the appointment;
sent forms have a handled state for staff

Revision ID: 0012_booking
Revises: 0011
Create Date: 2026-12-06 07:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_booking'
down_revision = '0013_auth'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'slot_reservations',
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_slot_reservations_appointment_id_appointments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['slot_id'], ['appointment_slots.id'],
                                name=op.f('fk_slot_reservations_slot_id_appointment_slots')),
        sa.PrimaryKeyConstraint('slot_id', name=op.f('pk_slot_reservations')))
    op.create_index(op.f('ix_slot_reservations_appointment_id'), 'slot_reservations',
                    ['appointment_id'], unique=False)
    # Booked appointments reserve every slot of their practitioner they overlap; where
    # earlier bookings overlapped (the fault this fixes), the first booking keeps the slot.
    op.execute("""
        INSERT INTO slot_reservations (slot_id, appointment_id)
        SELECT s.id, MIN(a.id)
        FROM appointments a
        JOIN appointment_slots first_slot ON first_slot.id = a.slot_id
        JOIN appointment_slots s ON s.practitioner_id = first_slot.practitioner_id
             AND s.starts_at < a.ends_at AND s.ends_at > a.starts_at
        WHERE a.status = 'booked'
        GROUP BY s.id
    """)
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('moved_from', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('moved_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('form_responses') as batch:
        batch.add_column(sa.Column('handled_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('handled_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_form_responses_handled_by_id_users'), 'users',
                                 ['handled_by_id'], ['id'])
        batch.create_index('ix_form_responses_sent', ['status', 'handled_at', 'submitted_at'])


def downgrade():
    with op.batch_alter_table('form_responses') as batch:
        batch.drop_index('ix_form_responses_sent')
        batch.drop_constraint(batch.f('fk_form_responses_handled_by_id_users'),
                              type_='foreignkey')
        batch.drop_column('handled_by_id')
        batch.drop_column('handled_at')
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('moved_at')
        batch.drop_column('moved_from')
        batch.drop_column('sequence')
    op.drop_index(op.f('ix_slot_reservations_appointment_id'), table_name='slot_reservations')
    op.drop_table('slot_reservations')
