"""Staff's page of what people acting for the patient may not see, and the toggle per item."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, patient_for, refuse, staff_required
from portal.records import bp, confidential
from portal.records.forms import ConfidentialForm
from portal.records.routes import STAFF_PREFIX
from portal.rendering import redirect_after_post, render


@bp.get(f"{STAFF_PREFIX}/record/confidential")
@staff_required()
def confidential_items(patient_id: int):
    """The record's items and documents, each with whether proxies see it and a toggle."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    page = request.args.get("page", 1, type=int)
    return render("records/confidential.html", patient=patient,
                  items=confidential.items_page(patient, page),
                  documents=confidential.documents(patient, request.args.get("docs", 1, type=int)),
                  kinds=confidential.KIND_NAMES)


@bp.post(f"{STAFF_PREFIX}/record/confidential")
@staff_required()
def set_confidential(patient_id: int):
    """Hide one item or document from people acting for the patient, or show it again."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    form = ConfidentialForm()
    if not form.validate():
        abort(400)
    what, item_id = form.what.data, form.item_id.data
    hidden = form.confidential.data == "1"
    if not confidential.set_confidential(patient, what, item_id, hidden,
                                         current_user._get_current_object()):
        refuse(Permission.VIEW_RECORD, patient, target=f"{what}:{item_id}")
    flash(_("Hidden from people acting for the patient.") if hidden
          else _("People acting for the patient with access to the record see it again."),
          "success")
    return redirect_after_post(url_for("records.confidential_items", patient_id=patient.id,
                                       page=request.args.get("page", 1, type=int)))
