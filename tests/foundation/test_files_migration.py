"""Migration 0012_files: files in the old upload folder move into the database."""

from __future__ import annotations

import hashlib

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from portal import create_app
from portal.billing.models import Coverage
from portal.extensions import db as _db
from portal.family.models import AccessRequest
from portal.messages.models import Attachment
from portal.models import StoredFile
from portal.records.models import Document
from tests.foundation.old_uploads import (
    JPEG,
    PDF,
    PNG,
    revision_before_files,
    revision_of_files,
    store_old_style_rows,
)


@pytest.fixture
def old_portal(tmp_path):
    """A portal on its own SQLite database, migrated up to just before 0012_files."""
    app = create_app({"ENV_NAME": "testing", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
                      "INSTANCE_DIR": str(tmp_path), "OLD_UPLOAD_DIR": str(tmp_path / "up")})
    with app.app_context():
        upgrade(revision=revision_before_files())
        yield app
        _db.session.remove()
        _db.engine.dispose()


def _data(file_id: int) -> bytes | None:
    return _db.session.scalar(select(StoredFile.data).where(StoredFile.id == file_id))


def test_upgrade_moves_every_file_into_the_database_and_reports_the_missing(old_portal,
                                                                              tmp_path, capfd):
    with _db.engine.begin() as conn:
        ids = store_old_style_rows(conn, tmp_path / "up")
    upgrade()
    report = capfd.readouterr().err  # the migration's log goes to stderr (alembic.ini)
    assert "Moved 4 uploaded file(s)" in report
    assert f"documents {ids['missing']} (gone) is not in" in report
    assert "1 file(s) were missing" in report

    document = _db.session.get(Document, ids["document"])
    assert (document.file.filename, document.file.content_type, document.file.size) == (
        "old letter.pdf", "application/pdf", len(PDF))
    assert _data(document.file_id) == PDF
    assert document.file.sha256 == hashlib.sha256(PDF).hexdigest()
    attachment = _db.session.get(Attachment, ids["attachment"])
    assert (attachment.file.filename, _data(attachment.file_id)) == ("scan.png", PNG)
    first, second = (_db.session.get(Coverage, i) for i in ids["coverages"])
    assert first.file_id == second.file_id and _data(first.file_id) == JPEG
    request = _db.session.get(AccessRequest, ids["request"])
    assert (request.file.filename, request.file.size, _data(request.file_id)) == (
        "birth.pdf", len(PDF), PDF)
    # The row whose file was gone is kept, with what was known of the file, but no bytes.
    lost = _db.session.get(Document, ids["missing"])
    assert (lost.title, lost.file.filename, lost.file.size) == ("Lost letter", "lost.pdf", 99)
    assert _data(lost.file_id) is None
    assert _db.session.query(StoredFile).count() == 5
    # The old folder is left as it was, for the administrator to remove.
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == [
        "a1b2c3", "card01", "d4e5f6", "req01"]


def test_the_missing_files_download_is_a_404(old_portal, tmp_path):
    with _db.engine.begin() as conn:
        ids = store_old_style_rows(conn, tmp_path / "up")
    upgrade()
    from werkzeug.exceptions import NotFound

    from portal.files import send_stored_file

    with old_portal.test_request_context():
        assert send_stored_file(_db.session.get(Document, ids["document"]).file).status_code \
            == 200
        with pytest.raises(NotFound):
            send_stored_file(_db.session.get(Document, ids["missing"]).file)


def test_downgrade_writes_the_files_back_out(old_portal, tmp_path):
    with _db.engine.begin() as conn:
        ids = store_old_style_rows(conn, tmp_path / "up")
    upgrade(revision=revision_of_files())
    for path in (tmp_path / "up").iterdir():
        path.unlink()
    downgrade(revision=revision_before_files())
    _db.session.remove()
    with _db.engine.connect() as conn:
        name, size = conn.exec_driver_sql(
            "SELECT stored_name, size FROM documents WHERE id = ?", (ids["document"],)).one()
        cards = conn.exec_driver_sql("SELECT DISTINCT stored_name FROM billing_coverages"
                                     ).all()
    assert (tmp_path / "up" / name).read_bytes() == PDF and size == len(PDF)
    assert len(cards) == 1 and (tmp_path / "up" / cards[0][0]).read_bytes() == JPEG
