"""billing

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade():
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_plans_offered', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('bank_iban', sa.String(length=34), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('bank_holder', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('payment_days', sa.Integer(), server_default='30',
                                      nullable=False))

    op.create_table('billing_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_billing_statements_created_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billing_statements_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_statements')),
    sa.UniqueConstraint('number', name=op.f('uq_billing_statements_number')),
    sa.UniqueConstraint('patient_id', 'fhir_id', name=op.f('uq_billing_statements_patient_id'))
    )
    op.create_index('ix_billing_statements_patient_issued', 'billing_statements', ['patient_id', 'issued_on'], unique=False)
    op.create_table('billing_statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('charged', MONEY, nullable=False),
    sa.Column('insurance_paid', MONEY, nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['billing_statements.id'], name=op.f('fk_billing_statement_lines_statement_id_billing_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_statement_lines'))
    )
    op.create_table('billing_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billing_payments_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_billing_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['statement_id'], ['billing_statements.id'], name=op.f('fk_billing_payments_statement_id_billing_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_payments')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_billing_payments_provider_id'))
    )
    op.create_index('ix_billing_payments_patient_created', 'billing_payments', ['patient_id', 'created_at'], unique=False)
    op.create_table('billing_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=True),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_billing_ledger_created_by_id_users')),
    sa.ForeignKeyConstraint(['line_id'], ['billing_statement_lines.id'], name=op.f('fk_billing_ledger_line_id_billing_statement_lines')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billing_ledger_patient_id_patients')),
    sa.ForeignKeyConstraint(['payment_id'], ['billing_payments.id'], name=op.f('fk_billing_ledger_payment_id_billing_payments')),
    sa.ForeignKeyConstraint(['statement_id'], ['billing_statements.id'], name=op.f('fk_billing_ledger_statement_id_billing_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_ledger')),
    sa.UniqueConstraint('payment_id', 'statement_id', 'kind', 'sequence', name=op.f('uq_billing_ledger_payment_id'))
    )
    op.create_index('ix_billing_ledger_patient_time', 'billing_ledger', ['patient_id', 'occurred_at'], unique=False)
    op.create_index('ix_billing_ledger_statement', 'billing_ledger', ['statement_id'], unique=False)
    op.create_table('billing_payment_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('instalments', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_billing_payment_plans_decided_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billing_payment_plans_patient_id_patients')),
    sa.ForeignKeyConstraint(['statement_id'], ['billing_statements.id'], name=op.f('fk_billing_payment_plans_statement_id_billing_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_payment_plans')),
    sa.UniqueConstraint('statement_id', name=op.f('uq_billing_payment_plans_statement_id'))
    )
    op.create_table('billing_coverages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('insurer', sa.String(length=120), nullable=False),
    sa.Column('member_number', sa.String(length=40), nullable=False),
    sa.Column('holder_name', sa.String(length=120), nullable=False),
    sa.Column('relation', sa.String(length=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=50), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_billing_coverages_created_by_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_billing_coverages_patient_id_patients')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_billing_coverages_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_coverages'))
    )
    op.create_index('ix_billing_coverages_patient_created', 'billing_coverages', ['patient_id', 'created_at'], unique=False)
    op.create_index('ix_billing_coverages_review', 'billing_coverages', ['needs_review', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_billing_coverages_review', table_name='billing_coverages')
    op.drop_index('ix_billing_coverages_patient_created', table_name='billing_coverages')
    op.drop_table('billing_coverages')
    op.drop_table('billing_payment_plans')
    op.drop_index('ix_billing_ledger_statement', table_name='billing_ledger')
    op.drop_index('ix_billing_ledger_patient_time', table_name='billing_ledger')
    op.drop_table('billing_ledger')
    op.drop_index('ix_billing_payments_patient_created', table_name='billing_payments')
    op.drop_table('billing_payments')
    op.drop_table('billing_statement_lines')
    op.drop_index('ix_billing_statements_patient_issued', table_name='billing_statements')
    op.drop_table('billing_statements')
    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('payment_days')
        batch_op.drop_column('bank_holder')
        batch_op.drop_column('bank_iban')
        batch_op.drop_column('payment_plans_offered')
