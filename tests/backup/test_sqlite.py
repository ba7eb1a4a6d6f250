"""`flask portal backup` and `restore` on SQLite: the round trip, and every refusal."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from portal.backup.archive import ArchiveWriter
from portal.extensions import db as _db
from portal.models import Patient, StoredFile
from portal.records.models import Document
from tests.backup.support import PDF, cli, files_in, own_portal, snapshot, store_some_data
from tests.conftest import make_patient
from tests.foundation.old_uploads import revision_before_files, store_old_style_rows


@pytest.fixture
def portal(tmp_path):
    """A portal on its own SQLite database, with some data stored (a letter among it)."""
    with own_portal(tmp_path / "instance") as app:
        app.stored = store_some_data()
        yield app


def _uploads(app) -> Path:
    """The folder uploads were kept in before they moved into the database."""
    return Path(app.config["OLD_UPLOAD_DIR"])


def _file_bytes(file_id: int) -> bytes | None:
    return _db.session.scalar(select(StoredFile.data).where(StoredFile.id == file_id))


def _back_up(app, folder: Path) -> Path:
    result = cli(app, "backup", "--output", str(folder))
    assert result.exit_code == 0, result.output
    found = re.search(r"Backup written: (\S+) \(", result.output)
    assert found, result.output
    return Path(found.group(1))


def _change_everything(app) -> None:
    """What happens after a backup: edits, deletions, new rows, lost and new files."""
    stored = app.stored
    _db.session.get(Patient, stored["patient_id"]).given_name = "Changed"
    _db.session.delete(_db.session.get(Document, stored["document_id"]))
    _db.session.delete(_db.session.get(StoredFile, stored["file_id"]))
    _db.session.add(StoredFile(data=b"%PDF-came later", size=15, sha256="0" * 64,
                               content_type="application/pdf", filename="later.pdf"))
    _db.session.commit()
    make_patient(given_name="Newcomer")


def _leftovers(app) -> list[Path]:
    """Temporary files or folders a restore left beside the live data."""
    places = {Path(app.config["INSTANCE_DIR"]), _uploads(app).parent}
    return [path for place in places for path in place.iterdir()
            if ".restore-" in path.name or ".old-" in path.name]


def test_round_trip_brings_back_every_row_and_file(portal, tmp_path):
    rows = snapshot()
    assert _file_bytes(portal.stored["file_id"]) == PDF

    archive = _back_up(portal, tmp_path / "backups")
    _change_everything(portal)
    assert snapshot() != rows and _file_bytes(portal.stored["file_id"]) is None

    result = cli(portal, "restore", "--yes", str(archive))
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "db upgrade" not in result.output
    assert snapshot() == rows
    document = _db.session.get(Document, portal.stored["document_id"])
    content = _file_bytes(document.file_id)
    assert content == PDF and hashlib.sha256(content).hexdigest() == document.file.sha256
    assert not _uploads(portal).exists()  # a backup is the database alone
    assert _leftovers(portal) == []


def test_the_archive_is_private_named_by_time_and_described_by_its_manifest(portal, tmp_path):
    result = cli(portal, "backup", "--output", str(tmp_path))
    assert result.exit_code == 0, result.output
    archive = next(tmp_path.glob("portal-backup-*.tar.gz"))
    assert re.fullmatch(r"portal-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert str(archive) in result.output and "KB" in result.output
    # The output names no one: nothing of the health data it holds.
    assert "Zofia" not in result.output and "Kowalska" not in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        members = {name: tar.extractfile(name).read() for name in names
                   if name != "manifest.json"}
    assert set(names) == {"manifest.json", "database/portal.sqlite3"}
    assert PDF in members["database/portal.sqlite3"]  # the letter is in the database
    head = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert manifest["alembic_revision"] == head
    assert manifest["database"]["kind"] == "sqlite"
    assert manifest["portal_version"] and manifest["created_at"].endswith("+00:00")
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == {
        name: hashlib.sha256(data).hexdigest() for name, data in members.items()}


def test_without_output_the_archive_goes_to_the_instance_folder(portal):
    result = cli(portal, "backup")
    assert result.exit_code == 0, result.output
    folder = Path(portal.config["INSTANCE_DIR"]) / "backups"
    assert len(list(folder.glob("portal-backup-*.tar.gz"))) == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_archive_name_is_used_as_given_and_never_overwritten(portal, tmp_path):
    target = tmp_path / "nightly.tar.gz"
    assert _back_up(portal, target) == target
    result = cli(portal, "backup", "--output", str(target))
    assert result.exit_code == 1 and "already exists" in result.output
    assert [p.name for p in tmp_path.iterdir() if "nightly" in p.name] == ["nightly.tar.gz"]


def test_backup_is_a_consistent_snapshot_while_the_portal_writes(portal, tmp_path):
    database = Path(_db.engine.url.database)
    make_patient(given_name="Committed")  # sits in the -wal file, not yet in portal.db
    assert Path(f"{database}-wal").stat().st_size > 0
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE patients SET given_name = 'Uncommitted'")
    try:
        archive = _back_up(portal, tmp_path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with tarfile.open(archive) as tar:
        (tmp_path / "copy.db").write_bytes(tar.extractfile("database/portal.sqlite3").read())
    copy = sqlite3.connect(tmp_path / "copy.db")
    names = {row[0] for row in copy.execute("SELECT given_name FROM patients")}
    copy.close()
    assert names == {"Zofia", "Committed"}


def _assert_refused_and_unchanged(app, archive: Path, expected: str, *args: str,
                                  input: str | None = None):
    rows = snapshot()
    result = cli(app, "restore", *args, str(archive), input=input)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert snapshot() == rows
    assert _leftovers(app) == []


def _corrupt_copies(archive: Path, folder: Path) -> dict[str, Path]:
    data = archive.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    copies = {"truncated": data[: len(data) // 2], "flipped": bytes(flipped),
              "not-gzip": b"this is not a backup\n" * 100,
              "empty-gzip": gzip.compress(b"")}
    paths = {}
    for name, content in copies.items():
        paths[name] = folder / f"{name}.tar.gz"
        paths[name].write_bytes(content)
    return paths


def test_a_damaged_archive_is_refused_and_nothing_changes(portal, tmp_path):
    archive = _back_up(portal, tmp_path / "backups")
    _change_everything(portal)
    for name, damaged in _corrupt_copies(archive, tmp_path).items():
        rows = snapshot()
        result = cli(portal, "restore", "--yes", str(damaged))
        assert result.exit_code == 1, (name, result.output)
        assert re.search(r"cannot be read|failed its checks|has no manifest", result.output), (
            name, result.output)
        assert "Nothing was changed" in result.output
        assert snapshot() == rows, name
        assert _leftovers(portal) == [], name


def _repack(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` with `change(name, data)` applied to each member's bytes."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def test_a_member_that_differs_from_its_checksum_is_refused(portal, tmp_path):
    archive = _back_up(portal, tmp_path / "backups")
    tampered = _repack(archive, tmp_path / "tampered.tar.gz", lambda name, data: (
        data.replace(b"%PDF", b"%PDX") if name == "database/portal.sqlite3" else data))
    _change_everything(portal)
    _assert_refused_and_unchanged(portal, tampered, "differ from their checksum", "--yes")


def test_a_backup_from_a_newer_migration_is_refused(portal, tmp_path):
    head = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
    _db.session.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    _db.session.commit()
    archive = _back_up(portal, tmp_path)
    _db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    _db.session.commit()
    _change_everything(portal)
    _assert_refused_and_unchanged(portal, archive, "newer version of the portal", "--yes")


def test_a_backup_from_an_older_migration_is_restored_with_advice_to_upgrade(portal, tmp_path):
    head = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
    _db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    _db.session.commit()
    archive = _back_up(portal, tmp_path)
    _db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    _db.session.commit()
    result = cli(portal, "restore", "--yes", str(archive))
    assert result.exit_code == 0, result.output
    assert "run `flask --app wsgi db upgrade`" in result.output and head in result.output
    assert _db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0001"


def test_restore_asks_first_and_refuses_without_a_yes(portal, tmp_path):
    rows = snapshot()
    archive = _back_up(portal, tmp_path)
    _change_everything(portal)
    for answer in ("n\n", None):  # "no", and no answer at all (cron, a script)
        _assert_refused_and_unchanged(portal, archive, "Aborted", input=answer)
    result = cli(portal, "restore", str(archive), input="y\n")
    assert result.exit_code == 0, result.output
    assert "replaces the current database" in result.output
    assert snapshot() == rows


def test_a_postgresql_backup_is_not_restored_into_sqlite(portal, tmp_path):
    dump = tmp_path / "dump"
    dump.write_bytes(b"PGDMP pretend")
    archive = tmp_path / "from-postgres.tar.gz"
    with ArchiveWriter(archive) as writer:
        writer.add_file("database/portal.pgdump", dump)
        writer.finish({"format": 1, "alembic_revision": None,
                       "database": {"kind": "postgresql"}})
    _assert_refused_and_unchanged(portal, archive, "holds a PostgreSQL database", "--yes")


def test_members_that_would_escape_the_upload_folder_are_refused(portal, tmp_path):
    archive = tmp_path / "escape.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("uploads/../../escaped", "manifest.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    _assert_refused_and_unchanged(portal, archive, "never has", "--yes")
    assert not list(tmp_path.rglob("escaped"))


def test_restore_onto_a_new_server_with_no_database_yet(portal, tmp_path):
    rows = snapshot()
    archive = _back_up(portal, tmp_path / "backups")
    with own_portal(tmp_path / "new-server", migrate=False) as fresh:
        assert not Path(_db.engine.url.database).exists()
        result = cli(fresh, "restore", "--yes", str(archive))
        assert result.exit_code == 0, result.output
        assert snapshot() == rows
        assert _file_bytes(portal.stored["file_id"]) == PDF
        assert _db.session.scalar(select(Patient.given_name).where(
            Patient.id == portal.stored["patient_id"])) == "Zofia"


def test_an_archive_from_before_files_moved_into_the_database_is_restored(portal, tmp_path):
    """Old archives hold the upload folder: it comes back where `db upgrade` moves it in."""
    old = tmp_path / "old-server"
    with own_portal(old, migrate=False) as before:
        upgrade(revision=revision_before_files())
        with _db.engine.begin() as conn:
            ids = store_old_style_rows(conn, _uploads(before))
        revision = revision_before_files()
        _db.engine.dispose()
        archive = tmp_path / "old-backup.tar.gz"
        with ArchiveWriter(archive) as writer:
            writer.add_file("database/portal.sqlite3", old / "portal.db")
            for name, _ in files_in(_uploads(before)).items():
                writer.add_file(f"uploads/{name}", _uploads(before) / name)
            writer.finish({"format": 1, "alembic_revision": revision,
                           "database": {"kind": "sqlite", "member": "database/portal.sqlite3"},
                           "uploads": 4})
    result = cli(portal, "restore", "--yes", str(archive))
    assert result.exit_code == 0, result.output
    assert "4 uploaded files" in result.output and "db upgrade" in result.output
    assert sorted(files_in(_uploads(portal))) == ["a1b2c3", "card01", "d4e5f6", "req01"]
    assert stat.S_IMODE(_uploads(portal).stat().st_mode) == 0o700
    assert _leftovers(portal) == []
    _db.session.remove()
    upgrade()
    document = _db.session.get(Document, ids["document"])
    assert _file_bytes(document.file_id) == files_in(_uploads(portal))["a1b2c3"]


def test_help_explains_the_commands(app):
    runner = app.test_cli_runner()
    backup = runner.invoke(args=["portal", "backup", "--help"]).output
    restore = runner.invoke(args=["portal", "restore", "--help"]).output
    assert "--output" in backup and "pg_dump" in backup and "encrypted" in backup
    assert "cron" in backup
    assert "--yes" in restore and "flask db upgrade" in restore and "checksum" in restore
