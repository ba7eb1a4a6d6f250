"""referrals from imported records: what the import last wrote, one row per FHIR id

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals') as batch:
        batch.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
    # Staff-entered referrals have no fhir id; NULLs never clash in a unique index.
    op.create_index('uq_referrals_patient_fhir_id', 'referrals', ['patient_id', 'fhir_id'],
                    unique=True)


def downgrade():
    op.drop_index('uq_referrals_patient_fhir_id', table_name='referrals')
    with op.batch_alter_table('referrals') as batch:
        batch.drop_column('content_hash')
