"""heartbeat: the one row /healthz writes to prove that the database can store

Revision ID: 0015_heartbeat
Revises: 0014_notices
Create Date: 2026-12-06 07:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_heartbeat'
down_revision = '0014_notices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'heartbeat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('heartbeat')
