"""The patient's view of the audit trail of their record: who looked at it and when."""

from flask import request
from flask_login import current_user

from portal.access import Permission, patient_for
from portal.records import activity as record_activity
from portal.records import bp
from portal.records.routes import record_page
from portal.rendering import render


@bp.get("/record/activity")
@record_page
def activity(patient_id=None):
    """Who looked at, downloaded or changed the record, newest first."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    page = record_activity.activity_page(patient, current_user,
                                         request.args.get("page", 1, type=int))
    return render("records/activity.html", "list", patient=patient, entries=page)
