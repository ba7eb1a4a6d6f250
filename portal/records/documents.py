"""Documents in a patient's record: letters and scans staff upload, and the patient downloads.

The file itself is a `StoredFile` (portal/files.py): its type read from its bytes, kept
in the database with the Document row, in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.extensions import db
from portal.files import save_upload
from portal.models import Patient, User
from portal.paging import Page, paginate
from portal.records.models import Document


def add_document(patient: Patient, user: User, title: str, upload: FileStorage) -> Document:
    """Save the uploaded file and its Document row, with an audit line, in one commit."""
    document = Document(patient_id=patient.id, title=title.strip(), uploaded_by_id=user.id,
                        file=save_upload(upload))
    db.session.add(document)
    db.session.flush()
    audit.record(audit.Action.DOCUMENT_ADDED,
                 patient=patient, actor=user, target=f"document:{document.id}")
    db.session.commit()
    return document


def _of(patient: Patient, as_proxy: bool):
    """The patient's documents (confidential ones left out for someone acting for them)."""
    statement = select(Document).where(Document.patient_id == patient.id)
    if as_proxy:
        statement = statement.where(Document.confidential.is_(False))
    return statement


def documents_page(patient: Patient, page: int, per_page: int | None = None, *,
                   as_proxy: bool) -> Page:
    """One page of the patient's documents, newest first, in two queries."""
    return paginate(_of(patient, as_proxy)
                    .order_by(Document.uploaded_at.desc(), Document.id.desc()), page, per_page)


def find_document(patient: Patient, document_id: int, *, as_proxy: bool) -> Document | None:
    """The patient's document `document_id`, or None (another patient's is None too)."""
    return db.session.scalar(_of(patient, as_proxy)
                             .where(Document.id == document_id))
