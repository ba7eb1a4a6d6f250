"""Helpers for the backup tests: a portal of its own, some stored data, and snapshots."""

from __future__ import annotations

import io
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import create_app
from portal.clinic_setup import save_clinic
from portal.extensions import db as _db
from portal.records.documents import add_document
from tests.conftest import make_patient, make_user

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n" + bytes(range(256))


@contextmanager
def own_portal(instance: Path, database_url: str | None = None, migrate: bool = True):
    """An app with its own instance folder, its context pushed.

    The database is SQLite in the instance folder unless `database_url` names another.
    A migrated SQLite database is a copy of one this process migrated once (running every
    migration again costs each test over a second).
    """
    if migrate and database_url is None:
        instance.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite(), instance / "portal.db")
        migrate = False
    app = _app(instance, database_url)
    with app.app_context():
        if migrate:
            upgrade()
        try:
            yield app
        finally:
            _db.session.remove()
            _db.engine.dispose()


def _app(instance: Path, database_url: str | None):
    return create_app({
        "ENV_NAME": "testing", "TESTING": True, "FAST_PASSWORD_HASHING": True,
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{instance / 'portal.db'}",
        "INSTANCE_DIR": str(instance), "OUTBOX_DIR": str(instance / "outbox"),
        "OLD_UPLOAD_DIR": str(instance / "uploads"), "SERVER_NAME": None,
    })


_migrated: list[Path] = []


def _migrated_sqlite() -> Path:
    """A SQLite database with every migration applied, made once per test process."""
    if not _migrated:
        folder = Path(tempfile.mkdtemp(prefix="portal-migrated-"))
        app = _app(folder, None)
        with app.app_context():
            upgrade()
            _db.session.remove()
            _db.engine.dispose()  # the last connection closed: the write-ahead log is merged
        assert not (folder / "portal.db-wal").exists()
        _migrated.append(folder / "portal.db")
    return _migrated[0]


def store_some_data() -> dict:
    """A clinic, a patient with an account, a clinician, and a letter in the record."""
    save_clinic(name="Backup Test Clinic", timezone="Europe/Amsterdam")
    patient = make_patient(given_name="Zofia", family_name="Kowalska-Backup",
                           email="zofia.backup@mail.example")
    make_user(patient=patient)
    clinician = make_user(role="clinician")
    document = add_document(patient, clinician, "Discharge letter",
                            FileStorage(io.BytesIO(PDF), filename="letter.pdf",
                                        content_type="application/pdf"))
    return {"patient_id": patient.id, "document_id": document.id, "file_id": document.file_id}


def snapshot() -> dict[str, list]:
    """Every row of every table, read afresh from the database; the audit line a restore
    writes of its own is left out (tests/staff/test_audit_views.py checks it)."""
    _db.session.close()
    with _db.engine.connect() as conn:
        return {table.name: sorted((tuple(row) for row in conn.execute(select(table))
                                    if not _restore_line(table.name, row)), key=repr)
                for table in _db.metadata.sorted_tables}


def _restore_line(table: str, row) -> bool:
    return table == "audit_events" and row.action == "backup-restored"


def files_in(folder: Path) -> dict[str, bytes]:
    """The files under `folder` and their bytes."""
    if not folder.exists():
        return {}
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def cli(app, *args: str, input: str | None = None):
    """Run `flask portal ARGS` in the app, the test's session closed first."""
    _db.session.close()
    return app.test_cli_runner().invoke(args=["portal", *args], input=input)
