"""Adding a document (a letter, a scan) to a patient's record."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, may, patient_for, staff_required
from portal.records.documents import add_document, upload_limit
from portal.rendering import redirect_after_post, render
from portal.staff import bp
from portal.staff.forms_records import DocumentForm
from portal.staff.services import ACCOUNT_MANAGERS

#: Staff roles that add documents to a record.
DOCUMENT_ROLES = ("clinician", "front_desk", "admin")


@bp.app_template_global()
def may_view_record(patient) -> bool:
    """Whether the signed-in user may read `patient`'s record (for links to it)."""
    return may(current_user, Permission.VIEW_RECORD, patient)


@bp.app_template_global()
def may_for(permission: str, patient) -> bool:
    """Whether the signed-in user may do `permission` (e.g. "appointments") for `patient`."""
    return may(current_user, Permission(permission), patient)


def _back_url(patient) -> str:
    """Where a member of staff goes back to: the documents if they may read them."""
    if may_view_record(patient):
        return url_for("records.documents", patient_id=patient.id)
    if current_user.role in ACCOUNT_MANAGERS:
        return url_for("staff.patient", patient_id=patient.id)
    return url_for("staff.patients")


def _form_page(patient, form, status: int = 200):
    """The upload form, with its errors when `form` came back with some."""
    return render("staff/new_document.html", status=status, patient=patient, form=form,
                  back_url=_back_url(patient), limit_mb=upload_limit() / (1024 * 1024))


@bp.get("/patients/<int:patient_id>/documents/new")
@staff_required(*DOCUMENT_ROLES)
def new_document(patient_id: int):
    """The form to add a PDF, JPEG or PNG to the patient's record."""
    return _form_page(patient_for(Permission.ADD_DOCUMENTS, patient_id), DocumentForm())


@bp.post("/patients/<int:patient_id>/documents")
@staff_required(*DOCUMENT_ROLES)
def upload_document(patient_id: int):
    """Store the uploaded document in the record (audited); the patient can then download it."""
    patient = patient_for(Permission.ADD_DOCUMENTS, patient_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _form_page(patient, form, status=422)
    document = add_document(patient, current_user, form.title.data, form.file.data)
    flash(_("“%(title)s” is added to the record of %(name)s.", title=document.title,
            name=patient.full_name), "success")
    return redirect_after_post(_back_url(patient))
