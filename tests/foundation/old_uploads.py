"""A database as it was before uploaded files moved into it: rows naming files in a folder.

Used by the test of migration 0012_files and by the backup test that restores an archive
made before it. The rows are written with plain SQL against the tables of that time
(reflected), every required column filled in, so the models of today play no part.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n" + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(100, 200))


def _files_migration():
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return next(rev for rev in script.walk_revisions()
                if Path(rev.path).name == "0012_stored_files.py")


def revision_of_files() -> str:
    """The migration that moves files into the database (0012_files)."""
    return _files_migration().revision


def revision_before_files() -> str:
    """The migration just before files moved into the database (0012_files' parent)."""
    return _files_migration().down_revision


def _filler(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, 9, 0)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1)
    if isinstance(kind, (sa.Integer, sa.Numeric)):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(conn, tables, name: str, **values) -> int:
    """Insert a row with `values` and a plausible value in every other required column."""
    table = tables[name]
    for column in table.columns:
        if (column.name not in values and not column.nullable and not column.primary_key
                and column.server_default is None):
            values[column.name] = _filler(column)
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def store_old_style_rows(conn, folder: Path) -> dict:
    """One document, attachment, two card versions sharing a photo, a proxy request with a
    letter, and a document whose file is missing; the files written into `folder`."""
    metadata = sa.MetaData()
    metadata.reflect(conn)
    tables = metadata.tables
    folder.mkdir(parents=True, exist_ok=True)

    def file(stored_name: str, data: bytes) -> dict:
        (folder / stored_name).write_bytes(data)
        return {"stored_name": stored_name, "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest()}

    patient = _insert(conn, tables, "patients", patient_number="OLD-1", given_name="Ola",
                      family_name="Old", birth_date=date(1980, 1, 1))
    user = _insert(conn, tables, "users", username="old-user", role="patient",
                   patient_id=patient, enabled=True)
    ids = {"patient": patient}
    ids["document"] = _insert(conn, tables, "documents", patient_id=patient, title="Old letter",
                              filename="old letter.pdf", content_type="application/pdf",
                              **file("a1b2c3", PDF))
    ids["missing"] = _insert(conn, tables, "documents", patient_id=patient, title="Lost letter",
                             filename="lost.pdf", content_type="application/pdf", size=99,
                             stored_name="gone", sha256="f" * 64)
    team = _insert(conn, tables, "message_teams", names={"en": "Desk"}, topics={"en": "Any"})
    thread = _insert(conn, tables, "message_threads", patient_id=patient, team_id=team,
                     subject="Old thread")
    message = _insert(conn, tables, "messages", thread_id=thread, author_id=user, body="Hi")
    ids["attachment"] = _insert(conn, tables, "message_attachments", message_id=message,
                                filename="scan.png", content_type="image/png",
                                **file("d4e5f6", PNG))
    card = file("card01", JPEG)
    ids["coverages"] = [
        _insert(conn, tables, "billing_coverages", patient_id=patient, insurer=insurer,
                member_number="1", holder_name="Ola Old", valid_from=date(2026, 1, 1),
                filename="card.jpg", content_type="image/jpeg", **card)
        for insurer in ("First", "Second")]
    ids["request"] = _insert(conn, tables, "proxy_requests", requester_id=user,
                             given_name="Kid", family_name="Old", birth_date=date(2020, 1, 1),
                             relationship="parent", stored_name="req01",
                             filename="birth.pdf", content_type="application/pdf")
    (folder / "req01").write_bytes(PDF)
    return ids
