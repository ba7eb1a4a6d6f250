"""The patient's view of the audit trail of their record: who looked at it and when."""

from flask_login import current_user

from portal.access import Permission
from portal.audit import Action
from portal.paging import page_number
from portal.pipeline import area_view
from portal.records import activity as record_activity
from portal.records import bp
from portal.rendering import render


@bp.get("/record/activity")
@area_view(feature="records", permission=Permission.VIEW_RECORD, audit=Action.ACTIVITY_VIEWED,
           target="activity")
def activity(patient):
    """Who looked at, downloaded or changed the record, newest first."""
    page = record_activity.activity_page(patient, current_user, page_number())
    return render("records/activity.html", "list", patient=patient, entries=page)
