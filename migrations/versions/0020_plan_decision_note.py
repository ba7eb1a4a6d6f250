"""payment plans: the reason a plan was declined, and asking again after a decline

Revision ID: 0020_plan_decision_note
Revises: 0019_checked_in_by
Create Date: 2026-12-06 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_plan_decision_note'
down_revision = '0019_checked_in_by'
branch_labels = None
depends_on = None

OPEN_ONLY = sa.text("status != 'declined'")


def upgrade():
    with op.batch_alter_table('billing_payment_plans') as batch:
        batch.add_column(sa.Column('decision_note', sa.Text(), nullable=True))
        # A declined plan stays; the patient may ask again for the same statement.
        batch.drop_constraint('uq_billing_payment_plans_statement_id', type_='unique')
    # At most one plan per statement that is still asked for or approved.
    op.create_index('uq_billing_payment_plans_open', 'billing_payment_plans', ['statement_id'],
                    unique=True, sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY)
    op.create_index('ix_billing_payment_plans_statement', 'billing_payment_plans',
                    ['statement_id', 'requested_at'], unique=False)


def downgrade():
    op.drop_index('ix_billing_payment_plans_statement', table_name='billing_payment_plans')
    op.drop_index('uq_billing_payment_plans_open', table_name='billing_payment_plans')
    # Only the latest plan of each statement can stay under the old rule of one plan.
    op.execute("DELETE FROM billing_payment_plans WHERE id NOT IN "
               "(SELECT MAX(id) FROM billing_payment_plans GROUP BY statement_id)")
    with op.batch_alter_table('billing_payment_plans') as batch:
        batch.create_unique_constraint('uq_billing_payment_plans_statement_id', ['statement_id'])
        batch.drop_column('decision_note')
