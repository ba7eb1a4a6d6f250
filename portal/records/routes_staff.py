"""Staff's work on the record: releasing results, and adding a document (a letter, a scan).

The staff's own reading of a record is served by the record views themselves, at the
staff addresses (`/staff/patients/<id>/record/...`).
"""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.access import Permission, find_or_refuse, may
from portal.audit import Action
from portal.extensions import db
from portal.files import upload_limit_mb
from portal.models import Patient
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, shown
from portal.records import bp, release
from portal.records.documents import add_document
from portal.records.forms import DocumentForm, ReleaseForm
from portal.rendering import redirect_after_post, render
from portal.staff.services import ACCOUNT_MANAGERS

#: Staff roles that release results.
RELEASERS = ("clinician", "admin")
#: Staff roles that add documents to a record.
DOCUMENT_ROLES = ("clinician", "front_desk", "admin")


def may_view_record(patient) -> bool:
    """Whether the signed-in user may read `patient`'s record (for links to it)."""
    return may(current_user, Permission.VIEW_RECORD, patient)


def may_for(permission: str, patient) -> bool:
    """Whether the signed-in user may do `permission` (e.g. "appointments") for `patient`."""
    return may(current_user, Permission(permission), patient)


def _queue(page: int, status: int = 200, failed: dict | None = None):
    """The queue page; `failed` holds the one release form that came back with an error."""
    groups = release.waiting_page(page)
    failed = failed or {}
    forms = {item_id: failed.get(item_id) or ReleaseForm(prefix=f"release-{item_id}",
                                                         formdata=None)
             for group in groups.items for item_id in group.release_ids}
    shown(group.patient for group in groups.items)
    return render("records/staff_results.html", "queue", status=status, groups=groups,
                  forms=forms, failed=next(iter(failed.values()), None))


@bp.get("/staff/results")
@area_view(side=STAFF, roles=RELEASERS, audit=Action.RECORD_VIEWED,
           target="results-to-release")
def results_to_release():
    """Results waiting for release, grouped by patient and by report."""
    return _queue(page_number())


@bp.post("/staff/results/<int:item_id>/release")
@area_view(side=STAFF, roles=RELEASERS)
def release_result(item_id: int):
    """Release a report with its results, or one result, with an optional note for the patient."""
    page = page_number()
    item = find_or_refuse(lambda _none, row_id: release.waiting_item(row_id), item_id, None,
                          Permission.VIEW_RECORD, name="result")
    patient = db.session.get(Patient, item.patient_id)
    form = ReleaseForm(prefix=f"release-{item_id}")
    if not form.validate_on_submit():
        return _queue(page, status=422, failed={item_id: form})
    try:
        count = release.release(item, current_user, form.note.data)
    except release.NotWaiting:
        flash(_("These results were released already, perhaps by a colleague a moment ago."),
              "info")
    else:
        flash(ngettext("%(num)d result released to %(name)s.",
                       "%(num)d results released to %(name)s.", count, name=patient.full_name)
              if count else _("Released to %(name)s.", name=patient.full_name), "success")
    return redirect_after_post(url_for("records.results_to_release", page=page))


def _back_url(patient) -> str:
    """Where a member of staff goes back to: the documents if they may read them."""
    if may_view_record(patient):
        return url_for("records.documents", patient_id=patient.id)
    if current_user.role in ACCOUNT_MANAGERS:
        return url_for("staff.patient", patient_id=patient.id)
    return url_for("staff.patients")


def _form_page(patient, form, status: int = 200):
    """The upload form, with its errors when `form` came back with some."""
    return render("records/staff_new_document.html", status=status, patient=patient, form=form,
                  back_url=_back_url(patient), limit_mb=upload_limit_mb())


@bp.get("/staff/patients/<int:patient_id>/documents/new")
@area_view(side=STAFF, roles=DOCUMENT_ROLES, permission=Permission.ADD_DOCUMENTS,
           audit=Action.PATIENT_PAGE_VIEWED, target="new-document")
def new_document(patient):
    """The form to add a PDF, JPEG or PNG to the patient's record."""
    return _form_page(patient, DocumentForm())


@bp.post("/staff/patients/<int:patient_id>/documents")
@area_view(side=STAFF, roles=DOCUMENT_ROLES, permission=Permission.ADD_DOCUMENTS)
def upload_document(patient):
    """Save the uploaded document in the record (audited); the patient can then download it."""
    form = DocumentForm()
    if not form.validate_on_submit():
        return _form_page(patient, form, status=422)
    document = add_document(patient, current_user, form.title.data, form.file.data)
    flash(_("“%(title)s” is added to the record of %(name)s.", title=document.title,
            name=patient.full_name), "success")
    return redirect_after_post(_back_url(patient))
