"""Uploaded files: checked by their content, saved in the database, sent back as downloads.

A file's type is what its first bytes say, never its name or what the browser claimed:
a "letter.pdf" that is really a web page or a program is refused, and a PNG named .pdf
is kept as the PNG it is (with a .png name). The bytes go into a `StoredFile` row in the
same transaction as the row that owns it (a document, an attachment, a card photo, a
proxy request), so a failed change leaves no file behind, a second app server needs only
the database, and a backup is the database alone.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata

from flask import Response, abort, current_app, send_file
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models import StoredFile

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


def upload_limit_mb() -> int | float:
    """The largest file accepted in megabytes as people read it: 10, not 10.0; 2.5 stays."""
    megabytes = round(upload_limit() / (1024 * 1024), 1)
    return int(megabytes) if megabytes == int(megabytes) else megabytes


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


def save_upload(upload: FileStorage | None) -> StoredFile | None:
    """A new StoredFile for an accepted upload, added to the session (None for no upload).

    It is committed with the caller's row, or not at all. Type and size are checked again
    here, whatever the form did, so that no caller can store what a form would refuse.
    """
    if upload is None or not upload.filename:
        return None
    content_type, size = file_facts(upload)
    if content_type is None or not 0 < size <= upload_limit():
        raise ValueError("not an accepted file")
    stored = file_of(upload.stream.read(), upload.filename)
    db.session.add(stored)
    return stored


def file_of(data: bytes, name: str | None) -> StoredFile:
    """A StoredFile for `data` (not yet in the session), typed and named by its content.

    For files the portal has itself (demo data); uploads go through `save_upload`.
    """
    content_type = content_type_of(data[:HEAD_BYTES])
    if content_type is None:
        raise ValueError("not an accepted file")
    return StoredFile(data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                      content_type=content_type,
                      filename=safe_filename(name, ACCEPTED[content_type][1]))


def send_stored_file(stored: StoredFile | None) -> Response:
    """A stored file as a download that runs and loads nothing, even when opened directly.

    The bytes are read here, in one query of their own. No file, or a file whose bytes
    were lost before it reached the database, is a 404 (and a line in the log), never a
    500. Links to it must not be boosted by htmx (`hx-boost="false"`).
    """
    if stored is None:
        abort(404)
    data = db.session.scalar(select(StoredFile.data).where(StoredFile.id == stored.id))
    if data is None:
        current_app.logger.error("stored file %s: its bytes are missing", stored.id)
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.filename, max_age=0, etag=False,
                         conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
