"""Releasing results: the queue of results waiting for a clinician, and the release itself."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.access import Permission, patient_for, refuse, staff_required
from portal.rendering import redirect_after_post, render
from portal.staff import bp, services_results
from portal.staff.forms_records import ReleaseForm

#: Staff roles that release results.
RELEASERS = ("clinician", "admin")


def _queue(page: int, status: int = 200, failed: dict | None = None):
    """The queue page; `failed` holds the one release form that came back with an error."""
    groups = services_results.waiting_page(page)
    failed = failed or {}
    forms = {item_id: failed.get(item_id) or ReleaseForm(prefix=f"release-{item_id}",
                                                         formdata=None)
             for group in groups.items for item_id in group.release_ids}
    response = render("staff/results.html", "queue", status=status, groups=groups,
                      forms=forms, failed=next(iter(failed.values()), None))
    services_results.note_queue_viewed(groups)  # once rendered: a commit expires the rows
    return response


@bp.get("/results")
@staff_required(*RELEASERS)
def results_to_release():
    """Results waiting for release, grouped by patient and by report."""
    return _queue(request.args.get("page", 1, type=int))


@bp.post("/results/<int:item_id>/release")
@staff_required(*RELEASERS)
def release_result(item_id: int):
    """Release a report with its results, or one result, with an optional note for the patient."""
    page = request.args.get("page", 1, type=int)
    item = services_results.waiting_item(item_id)
    if item is None:
        refuse(Permission.VIEW_RECORD, target=f"result:{item_id}")
    patient = patient_for(Permission.VIEW_RECORD, item.patient_id)
    form = ReleaseForm(prefix=f"release-{item_id}")
    if not form.validate_on_submit():
        return _queue(page, status=422, failed={item_id: form})
    try:
        count = services_results.release(item, current_user, form.note.data)
    except services_results.NotWaiting:
        flash(_("These results were released already, perhaps by a colleague a moment ago."),
              "info")
    else:
        flash(ngettext("%(num)d result released to %(name)s.",
                       "%(num)d results released to %(name)s.", count, name=patient.full_name)
              if count else _("Released to %(name)s.", name=patient.full_name), "success")
    return redirect_after_post(url_for("staff.results_to_release", page=page))
