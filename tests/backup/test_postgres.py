"""Backups on PostgreSQL: pg_dump and pg_restore, and how a missing or old client is reported.

The round trip runs when PORTAL_TEST_DATABASE_URL points at PostgreSQL, on the suite's
own test database (which it leaves migrated and usable), and is skipped otherwise,
unless PORTAL_REQUIRE_DATABASE=1 makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal.backup import postgres
from portal.backup.archive import ArchiveWriter, BackupError
from portal.extensions import db as _db
from portal.models import Patient, StoredFile
from tests.backup.support import PDF, cli, own_portal, snapshot, store_some_data
from tests.conftest import make_patient

URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def _require_postgres() -> None:
    required = os.environ.get("PORTAL_REQUIRE_DATABASE") == "1"
    if not URL.startswith("postgresql"):
        reason = "PORTAL_TEST_DATABASE_URL does not point at PostgreSQL"
    elif not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")):
        reason = "pg_dump, pg_restore or psql is missing (apt-get install postgresql-client)"
    else:
        return
    if required:
        pytest.fail(f"{reason} (required: PORTAL_REQUIRE_DATABASE=1)")
    pytest.skip(reason)


@pytest.fixture
def pg_portal(app, tmp_path):
    """A portal on the suite's PostgreSQL database, with some data (a letter among it).

    The suite's `db` fixture empties the tables afterwards, as after any test.
    """
    _require_postgres()
    with own_portal(tmp_path / "instance", database_url=URL, migrate=False) as portal:
        portal.stored = store_some_data()
        yield portal


def _back_up(portal, target: Path) -> Path:
    result = cli(portal, "backup", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "Zofia" not in result.output
    return target


def test_round_trip_on_postgresql(pg_portal, tmp_path):
    rows = snapshot()
    archive = _back_up(pg_portal, tmp_path / "pg.tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        assert tar.extractfile("database/portal.pgdump").read(5) == b"PGDMP"

    _db.session.get(Patient, pg_portal.stored["patient_id"]).given_name = "Changed"
    _db.session.commit()
    make_patient(given_name="Newcomer")
    _db.session.execute(text("UPDATE stored_files SET data = :junk"), {"junk": b"%PDF-lost"})
    # A table a newer migration made, pointing at a table the restore drops and remakes.
    _db.session.execute(text("CREATE TABLE future_notes (id integer PRIMARY KEY, "
                             "patient_id integer REFERENCES patients (id))"))
    _db.session.execute(text("INSERT INTO future_notes VALUES (1, :id)"),
                        {"id": pg_portal.stored["patient_id"]})
    _db.session.commit()
    assert snapshot() != rows

    result = cli(pg_portal, "restore", "--yes", str(archive))
    assert result.exit_code == 0, result.output
    assert "future_notes" in result.output
    assert snapshot() == rows
    assert _db.session.scalar(select(StoredFile.data).where(
        StoredFile.id == pg_portal.stored["file_id"])) == PDF
    # The database is as the migrations make it, for the rest of the suite.
    with _db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), _db.metadata) == []
        assert not conn.execute(text("SELECT to_regclass('public.future_notes')")).scalar()


def test_a_restore_that_fails_halfway_changes_nothing(pg_portal, tmp_path):
    archive = _back_up(pg_portal, tmp_path / "pg.tar.gz")
    _db.session.get(Patient, pg_portal.stored["patient_id"]).given_name = "Changed"
    _db.session.execute(text("CREATE TABLE future_notes (id integer PRIMARY KEY)"))
    # Something the backup does not know of that blocks dropping a table it restores.
    _db.session.execute(text("CREATE VIEW patient_names AS SELECT given_name FROM patients"))
    _db.session.commit()
    rows = snapshot()
    try:
        result = cli(pg_portal, "restore", "--yes", str(archive))
        assert result.exit_code == 1, result.output
        assert "could not be restored; it is unchanged" in result.output
        assert "other objects depend on it" in result.output
        assert "Changed" not in result.output
        assert snapshot() == rows
        with _db.engine.connect() as conn:  # the leftover table was not dropped either
            assert conn.execute(text("SELECT to_regclass('public.future_notes')")).scalar()
    finally:
        _db.session.execute(text("DROP VIEW IF EXISTS patient_names"))
        _db.session.execute(text("DROP TABLE IF EXISTS future_notes"))
        _db.session.commit()


@pytest.mark.timeout(120)  # waiting for ever is the failure this test is about
def test_a_restore_gives_up_rather_than_wait_for_a_running_portal(pg_portal, tmp_path,
                                                                  monkeypatch):
    archive = _back_up(pg_portal, tmp_path / "pg.tar.gz")
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "1s")
    rows = snapshot()
    other = _db.engine.connect()  # another worker, inside a transaction that read patients
    try:
        other.execute(text("SELECT count(*) FROM patients"))
        result = cli(pg_portal, "restore", "--yes", str(archive))
    finally:
        other.rollback()
        other.close()
    assert result.exit_code == 1, result.output
    assert "lock timeout" in result.output and "stop the portal" in result.output
    assert snapshot() == rows


def test_a_dump_postgresql_cannot_load_changes_nothing(pg_portal, tmp_path):
    broken = tmp_path / "dump"
    broken.write_bytes(b"PGDMP but not really a dump")
    archive = tmp_path / "broken.tar.gz"
    head = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
    with ArchiveWriter(archive) as writer:
        writer.add_file("database/portal.pgdump", broken)
        writer.finish({"format": 1, "alembic_revision": head,
                       "database": {"kind": "postgresql", "pg_dump_version": 10}})
    rows = snapshot()
    result = cli(pg_portal, "restore", "--yes", str(archive))
    assert result.exit_code == 1, result.output
    assert "cannot read the database in the backup" in result.output
    assert snapshot() == rows


def test_an_old_pg_dump_is_refused_with_what_to_install(pg_portal, tmp_path, monkeypatch):
    monkeypatch.setattr(postgres, "client_major", lambda path: 9)
    result = cli(pg_portal, "backup", "--output", str(tmp_path))
    assert result.exit_code == 1
    assert "pg_dump is version 9, older than the database server" in result.output
    assert "postgresql-client" in result.output
    assert list(tmp_path.glob("*.tar.gz")) == []


def test_a_missing_client_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match=r"pg_dump was not found.*version 16 or newer.*"
                                          r"apt-get install postgresql-client"):
        postgres.tool("pg_dump", 16)


def test_an_older_client_than_the_server_is_refused():
    postgres.require_version("pg_dump", 16, 15, "the database server")
    with pytest.raises(BackupError, match="pg_dump is version 14, older than the database "
                                          r"server \(PostgreSQL 15\).*postgresql-client-15"):
        postgres.require_version("pg_dump", 14, 15, "the database server")


def test_client_version_is_read_from_its_output(tmp_path):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.4 (Debian 13.4-1)'\n")
    fake.chmod(0o755)
    assert postgres.client_major(str(fake)) == 13


def test_the_password_goes_in_the_environment_not_the_command_line():
    url = make_url("postgresql+psycopg://clinic:s3cr%27et@db.example:5433/portal"
                   "?sslmode=require")
    conninfo, env = postgres.connection(url)
    assert "s3cr" not in conninfo and env["PGPASSWORD"] == "s3cr'et"
    assert conninfo == ("host='db.example' port='5433' user='clinic' dbname='portal' "
                        "sslmode='require'")
