"""family and proxy access

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic_settings') as batch:
        batch.add_column(sa.Column('proxy_age_preset', sa.String(length=10), nullable=False,
                                   server_default='nl'))
        batch.add_column(sa.Column('proxy_consent_age', sa.Integer(), nullable=True,
                                   server_default='12'))
        batch.add_column(sa.Column('proxy_end_age', sa.Integer(), nullable=False,
                                   server_default='16'))
        batch.add_column(sa.Column('proxy_own_account_age', sa.Integer(), nullable=False,
                                   server_default='12'))
    op.create_table('proxy_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grantee_user_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('permissions', sa.JSON(), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('invited_by_patient', sa.Boolean(), nullable=False),
    sa.Column('child_consent_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grantee_user_id'], ['users.id'], name=op.f('fk_proxy_grants_grantee_user_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_proxy_grants_patient_id_patients')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_proxy_grants_approved_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_proxy_grants_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_grants'))
    )
    op.create_index('ix_proxy_grants_grantee', 'proxy_grants', ['grantee_user_id', 'status'], unique=False)
    op.create_index('ix_proxy_grants_patient', 'proxy_grants', ['patient_id', 'status'], unique=False)
    op.create_table('proxy_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('relationship', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_proxy_requests_requester_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_proxy_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_proxy_requests_patient_id_patients')),
    sa.ForeignKeyConstraint(['grant_id'], ['proxy_grants.id'], name=op.f('fk_proxy_requests_grant_id_proxy_grants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_requests'))
    )
    op.create_index('ix_proxy_requests_status', 'proxy_requests', ['status', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_proxy_requests_status', table_name='proxy_requests')
    op.drop_table('proxy_requests')
    op.drop_index('ix_proxy_grants_patient', table_name='proxy_grants')
    op.drop_index('ix_proxy_grants_grantee', table_name='proxy_grants')
    op.drop_table('proxy_grants')
    with op.batch_alter_table('clinic_settings') as batch:
        batch.drop_column('proxy_own_account_age')
        batch.drop_column('proxy_end_age')
        batch.drop_column('proxy_consent_age')
        batch.drop_column('proxy_age_preset')
