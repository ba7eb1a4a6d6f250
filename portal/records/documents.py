"""Documents in a patient's record: letters and scans staff upload, and the patient downloads.

A file's type is what its first bytes say, never its name or what the browser claimed:
a "letter.pdf" that is really a web page or a program is refused, and a PNG named .pdf
is kept as the PNG it is (with a .png name). Files live outside the web root under a
random name; the database keeps the name to offer on download and the file's sha256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Response, abort, current_app, send_file
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.access import acting_as_proxy
from portal.extensions import db
from portal.models import Patient, User
from portal.records.models import Document
from portal.records.services import Page, paginate

#: Content type -> (the bytes such a file starts with, the extension its name gets)
ACCEPTED = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}
#: Enough of the file's start to recognise every accepted type.
HEAD_BYTES = 16
#: Characters that never go into an offered file name: separators, quotes, controls.
_UNSAFE = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]+')


def upload_limit() -> int:
    """The largest file accepted, in bytes (PORTAL_MAX_UPLOAD_BYTES)."""
    config = current_app.config
    return int(config.get("MAX_UPLOAD_BYTES") or config["MAX_CONTENT_LENGTH"])


def content_type_of(head: bytes) -> str | None:
    """The accepted type the file's first bytes show, or None for anything else."""
    for content_type, (magic, _) in ACCEPTED.items():
        if head.startswith(magic):
            return content_type
    return None


def file_facts(upload: FileStorage) -> tuple[str | None, int]:
    """The type the upload's content shows and its size, leaving the stream at its start."""
    stream = upload.stream
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return content_type_of(head), size


def safe_filename(name: str | None, extension: str) -> str:
    """The name offered on download: the uploaded name's stem, cleaned, with the true extension.

    Letters of any language are kept (Content-Disposition carries them as UTF-8); path
    parts, quotes and control characters are not.
    """
    stem = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = _UNSAFE.sub(" ", stem)
    stem = " ".join(stem.split()).strip(" .")[:100] or "document"
    return f"{stem}.{extension}"


def upload_dir() -> Path:
    """The folder uploads are kept in (PORTAL_UPLOAD_DIR), made when missing, private."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StoredFile:
    """What is known of a file once stored: the row that describes it is the caller's."""

    filename: str
    content_type: str
    size: int
    stored_name: str
    sha256: str

    @property
    def path(self) -> Path:
        return Path(current_app.config["UPLOAD_DIR"]) / self.stored_name

    def columns(self) -> dict:
        """The values for a model with the columns every stored file has."""
        return {"filename": self.filename, "content_type": self.content_type,
                "size": self.size, "stored_name": self.stored_name, "sha256": self.sha256}


def store_upload(upload: FileStorage) -> StoredFile:
    """Write an accepted upload to the private folder under a random name.

    Type and size are checked again here, whatever the form did, so that no caller can
    store what a form would refuse. The caller saves its row and, if that fails, removes
    the file with `StoredFile.path.unlink`.
    """
    content_type, size = file_facts(upload)
    if content_type is None or not 0 < size <= upload_limit():
        raise ValueError("not an accepted file")
    data = upload.stream.read()
    stored_name = secrets.token_hex(16)
    path = upload_dir() / stored_name
    with open(path, "xb") as out:  # "x": never overwrite another file
        out.write(data)
    path.chmod(0o600)
    return StoredFile(filename=safe_filename(upload.filename, ACCEPTED[content_type][1]),
                      content_type=content_type, size=len(data), stored_name=stored_name,
                      sha256=hashlib.sha256(data).hexdigest())


def add_document(patient: Patient, user: User, title: str, upload: FileStorage) -> Document:
    """Store the uploaded file under a random name and its Document row, with an audit line."""
    stored = store_upload(upload)
    document = Document(patient_id=patient.id, title=title.strip(), uploaded_by_id=user.id,
                        **stored.columns())
    db.session.add(document)
    try:
        db.session.flush()
        audit.record("document-added", patient=patient, actor=user,
                     target=f"document:{document.id}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        stored.path.unlink(missing_ok=True)
        raise
    return document


def _of(patient: Patient, exclude_confidential: bool):
    """The patient's documents (confidential ones left out when asked)."""
    statement = select(Document).where(Document.patient_id == patient.id)
    if exclude_confidential or acting_as_proxy(patient):
        statement = statement.where(Document.confidential.is_(False))
    return statement


def documents_page(patient: Patient, page: int, per_page: int = 20, *,
                   exclude_confidential: bool = False) -> Page:
    """One page of the patient's documents, newest first, in two queries."""
    return paginate(_of(patient, exclude_confidential)
                    .order_by(Document.uploaded_at.desc(), Document.id.desc()), page, per_page)


def find_document(patient: Patient, document_id: int, *,
                  exclude_confidential: bool = False) -> Document | None:
    """The patient's document `document_id`, or None (another patient's is None too)."""
    return db.session.scalar(_of(patient, exclude_confidential)
                             .where(Document.id == document_id))


def stored_path(document) -> Path:
    """Where a stored file (a Document, an attachment: anything with `stored_name`) is kept."""
    return Path(current_app.config["UPLOAD_DIR"]) / document.stored_name


def download(stored) -> Response:
    """A stored file as a download that runs and loads nothing, even when opened directly.

    `stored` is any row with stored_name, content_type and filename. A missing file is a
    404 (and a line in the log), never a 500.
    """
    path = stored_path(stored)
    if not path.is_file():
        current_app.logger.error("%s %s: its file is missing", type(stored).__name__, stored.id)
        abort(404)
    response = send_file(path, mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.filename, max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
