"""The documents in a record: the list, and each file as a download.

Patients see their own at `/record/documents`; staff who may read the record see the
same at `/staff/patients/<id>/record/documents`.
"""

from functools import partial

from flask_login import current_user

from portal.access import Permission, acting_as_proxy, find_or_refuse, may
from portal.audit import Action
from portal.files import send_stored_file
from portal.paging import page_number
from portal.pipeline import BOTH, area_view
from portal.records import bp
from portal.records import documents as files
from portal.records.routes import STAFF_PREFIX, record_view
from portal.rendering import render


@bp.get("/record/documents")
@bp.get(f"{STAFF_PREFIX}/record/documents")
@record_view("documents")
def documents(patient):
    """Letters and scans the clinic added to the record, newest first."""
    page = files.documents_page(patient, page_number(), as_proxy=acting_as_proxy(patient))
    return render("records/documents.html", "list", patient=patient, documents=page,
                  may_add=current_user.is_staff and may(current_user,
                                                        Permission.ADD_DOCUMENTS, patient))


@bp.get("/record/documents/<int:document_id>")
@bp.get(f"{STAFF_PREFIX}/record/documents/<int:document_id>")
@area_view(side=BOTH, feature="records", permission=Permission.VIEW_RECORD,
           audit=Action.DOCUMENT_DOWNLOADED, target="document:{document_id}")
def document(patient, document_id: int):
    """One document's file, as a download with the type its content showed at upload."""
    found = find_or_refuse(partial(files.find_document, as_proxy=acting_as_proxy(patient)),
                           document_id, patient, Permission.VIEW_RECORD, name="document")
    return send_stored_file(found.file)
