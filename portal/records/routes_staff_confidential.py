"""Staff's page of what people acting for the patient may not see, and the toggle per item."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, refuse
from portal.audit import Action
from portal.paging import page_number
from portal.pipeline import STAFF, area_view
from portal.records import bp, confidential
from portal.records.forms import ConfidentialForm
from portal.records.routes import STAFF_PREFIX
from portal.rendering import redirect_after_post, render


@bp.get(f"{STAFF_PREFIX}/record/confidential")
@area_view(side=STAFF, permission=Permission.VIEW_RECORD, audit=Action.CONFIDENTIAL_LISTED,
           target="confidential")
def confidential_items(patient):
    """The record's items and documents, each with whether proxies see it and a toggle."""
    return render("records/confidential.html", patient=patient,
                  items=confidential.items_page(patient, page_number()),
                  documents=confidential.documents(patient, request.args.get("docs", 1, type=int)),
                  kinds=confidential.KIND_NAMES)


@bp.post(f"{STAFF_PREFIX}/record/confidential")
@area_view(side=STAFF, permission=Permission.VIEW_RECORD)
def set_confidential(patient):
    """Hide one item or document from people acting for the patient, or show it again."""
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
