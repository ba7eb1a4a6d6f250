"""The documents in a record: the list, and each file as a download.

Patients see their own at `/record/documents`; staff who may read the record see the
same at `/staff/patients/<id>/record/documents`.
"""

from flask import request
from flask_login import current_user

from portal import audit
from portal.access import Permission, may, patient_for, refuse
from portal.records import bp
from portal.records import documents as files
from portal.records.routes import STAFF_PREFIX, record_page
from portal.rendering import render


@bp.get("/record/documents")
@bp.get(f"{STAFF_PREFIX}/record/documents")
@record_page
def documents(patient_id=None):
    """Letters and scans the clinic added to the record, newest first."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    page = files.documents_page(patient, request.args.get("page", 1, type=int))
    response = render("records/documents.html", "list", patient=patient, documents=page,
                      may_add=current_user.is_staff and may(current_user,
                                                            Permission.ADD_DOCUMENTS, patient))
    audit.record("record-viewed", patient=patient, target="documents", commit=True)
    return response


@bp.get("/record/documents/<int:document_id>")
@bp.get(f"{STAFF_PREFIX}/record/documents/<int:document_id>")
@record_page
def document(document_id: int, patient_id=None):
    """One document's file, as a download with the type its content showed at upload."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    found = files.find_document(patient, document_id)
    if found is None:
        refuse(Permission.VIEW_RECORD, patient, target=f"document:{document_id}")
    response = files.download(found)
    audit.record("document-downloaded", patient=patient, target=f"document:{found.id}",
                 commit=True)
    return response
