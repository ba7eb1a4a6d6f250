"""questionnaires

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 16:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('intros', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('fhir_url', sa.String(length=400), nullable=True),
    sa.Column('fhir_version', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaires_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires'))
    )
    op.create_table('questionnaire_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('wording', sa.JSON(), nullable=False),
    sa.Column('help', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('min_value', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('max_value', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('fhir_link_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_questions_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_questions'))
    )
    op.create_index(op.f('ix_questionnaire_questions_questionnaire_id'), 'questionnaire_questions', ['questionnaire_id'], unique=False)
    op.create_table('questionnaire_appointment_types',
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_questionnaire_appointment_types_appointment_type_id_appointment_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_appointment_types_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('questionnaire_id', 'appointment_type_id', name=op.f('pk_questionnaire_appointment_types'))
    )
    op.create_table('form_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_form_responses_patient_id_patients')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_form_responses_questionnaire_id_questionnaires')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_form_responses_requested_by_id_users')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_form_responses_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_responses'))
    )
    op.create_index('ix_form_responses_patient', 'form_responses', ['patient_id', 'status'], unique=False)
    op.create_index('ix_form_responses_appointment', 'form_responses', ['appointment_id'], unique=False)


def downgrade():
    op.drop_index('ix_form_responses_appointment', table_name='form_responses')
    op.drop_index('ix_form_responses_patient', table_name='form_responses')
    op.drop_table('form_responses')
    op.drop_table('questionnaire_appointment_types')
    op.drop_index(op.f('ix_questionnaire_questions_questionnaire_id'), table_name='questionnaire_questions')
    op.drop_table('questionnaire_questions')
    op.drop_table('questionnaires')
