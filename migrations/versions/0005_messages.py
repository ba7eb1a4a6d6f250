"""messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_reply_outside_hours', sa.Boolean(),
                                      server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('pharmacies', sa.JSON(), server_default='[]',
                                      nullable=False))

    op.create_table('message_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_teams'))
    )
    op.create_table('message_team_members',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['message_teams.id'], name=op.f('fk_message_team_members_team_id_message_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_message_team_members'))
    )
    op.create_table('message_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=True),
    sa.Column('unread_by_patient', sa.Boolean(), nullable=False),
    sa.Column('unread_by_staff', sa.Boolean(), nullable=False),
    sa.Column('archived_by_patient', sa.Boolean(), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_message_threads_assigned_to_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_message_threads_patient_id_patients')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_message_threads_started_by_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['message_teams.id'], name=op.f('fk_message_threads_team_id_message_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_threads'))
    )
    op.create_index('ix_message_threads_patient_last', 'message_threads', ['patient_id', 'last_message_at'], unique=False)
    op.create_index('ix_message_threads_team_status', 'message_threads', ['team_id', 'status', 'waiting_since'], unique=False)
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('from_clinic', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_messages_author_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['message_threads.id'], name=op.f('fk_messages_thread_id_message_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    op.create_index('ix_messages_thread_sent', 'messages', ['thread_id', 'sent_at'], unique=False)
    op.create_table('message_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_message_attachments_stored_name'))
    )
    op.create_index(op.f('ix_message_attachments_message_id'), 'message_attachments', ['message_id'], unique=False)
    op.create_table('repeat_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('medication_id', sa.Integer(), nullable=True),
    sa.Column('medication', sa.String(length=300), nullable=False),
    sa.Column('pharmacy', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_repeat_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['medication_id'], ['record_items.id'], name=op.f('fk_repeat_requests_medication_id_record_items')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_repeat_requests_patient_id_patients')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_repeat_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repeat_requests'))
    )
    op.create_index('ix_repeat_requests_patient_time', 'repeat_requests', ['patient_id', 'requested_at'], unique=False)
    op.create_index('ix_repeat_requests_status_time', 'repeat_requests', ['status', 'requested_at'], unique=False)


def downgrade():
    op.drop_index('ix_repeat_requests_status_time', table_name='repeat_requests')
    op.drop_index('ix_repeat_requests_patient_time', table_name='repeat_requests')
    op.drop_table('repeat_requests')
    op.drop_index(op.f('ix_message_attachments_message_id'), table_name='message_attachments')
    op.drop_table('message_attachments')
    op.drop_index('ix_messages_thread_sent', table_name='messages')
    op.drop_table('messages')
    op.drop_index('ix_message_threads_team_status', table_name='message_threads')
    op.drop_index('ix_message_threads_patient_last', table_name='message_threads')
    op.drop_table('message_threads')
    op.drop_table('message_team_members')
    op.drop_table('message_teams')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('pharmacies')
        batch_op.drop_column('auto_reply_outside_hours')
