"""notifications: what waits for a person's daily summary

Revision ID: 0014_notices
Revises: 0012
Create Date: 2026-12-06 07:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_notices'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('acting_for', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_pending_notices_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_notices')),
    )
    op.create_index('ix_pending_notices_sent_user', 'pending_notices', ['sent_at', 'user_id'])


def downgrade():
    op.drop_index('ix_pending_notices_sent_user', table_name='pending_notices')
    op.drop_table('pending_notices')
