"""`flask portal` commands, the demo clinic, and the Alembic migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, inspect, select

from portal import create_app
from portal.auth.invitations import code_hash
from portal.auth.models import Invitation
from portal.demo import ACCOUNTS, DEMO_PASSWORD, INVITATIONS, PATIENTS
from portal.extensions import db as _db
from portal.models import ClinicSettings, Patient, User
from tests.conftest import post_form


def test_init_clinic_creates_then_updates_the_settings(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "init-clinic", "--name", "Przychodnia Lipowa",
                                 "--phone", "+48 22 555 01 00", "--timezone", "Europe/Warsaw",
                                 "--default-language", "pl", "--features", "records,messages",
                                 "--categories", "gp,polyclinic", "--currency", "PLN"])
    assert result.exit_code == 0, result.output
    assert "Przychodnia Lipowa" in result.output
    result = runner.invoke(args=["portal", "init-clinic", "--reply-days", "3"])
    assert result.exit_code == 0, result.output
    clinic = db.session.scalars(select(ClinicSettings)).one()
    assert (clinic.name, clinic.timezone, clinic.default_locale, clinic.reply_days) == (
        "Przychodnia Lipowa", "Europe/Warsaw", "pl", 3)
    assert clinic.feature_on("messages") and not clinic.feature_on("billing")
    assert clinic.patient_categories == ["gp", "polyclinic"]


def test_init_clinic_rejects_unknown_features(app, db):
    result = app.test_cli_runner().invoke(args=["portal", "init-clinic", "--features", "spa"])
    assert result.exit_code != 0
    assert "unknown feature" in result.output


def test_init_clinic_help_explains_the_options(app):
    result = app.test_cli_runner().invoke(args=["portal", "init-clinic", "--help"])
    assert "--emergency-number" in result.output and "Europe/Amsterdam" in result.output


def test_demo_loads_staff_and_patients_once(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "demo"])
    second = runner.invoke(args=["portal", "demo"])
    assert first.exit_code == second.exit_code == 0
    assert DEMO_PASSWORD in first.output and "admin" in first.output
    assert db.session.scalar(select(func.count(Patient.id))) == len(PATIENTS) >= 20
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"patient", "admin", "clinician", "front_desk", "billing"}
    children = [p for p in PATIENTS if p[3].year >= 2010]
    assert len(children) >= 5
    assert {p[5] for p in PATIENTS} == {"en", "nl", "pl"}
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.code_hash == code_hash(INVITATIONS["P-100002"])))
    assert invitation is not None and invitation.used_at is None
    username = next(iter(ACCOUNTS.values()))
    response = post_form(client, "/sign-in", {"identifier": username, "password": DEMO_PASSWORD})
    assert response.status_code == 303


def test_create_staff(app, db):
    result = app.test_cli_runner().invoke(
        args=["portal", "create-staff", "eva", "--name", "Eva Mulder", "--role", "admin",
              "--password", "a-long-first-password"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).filter_by(username="eva")).role == "admin"


def test_migrations_match_the_models(app, db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert diff == []


def test_migrations_run_up_down_and_up_on_an_empty_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = create_app({"ENV_NAME": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "INSTANCE_DIR": str(tmp_path)})
    with fresh.app_context():
        upgrade()
        tables = set(inspect(create_engine(url)).get_table_names())
        assert {"users", "patients", "audit_events", "clinic_settings", "invitations"} <= tables
        downgrade(revision="base")
        assert set(inspect(create_engine(url)).get_table_names()) <= {"alembic_version"}
        upgrade()
