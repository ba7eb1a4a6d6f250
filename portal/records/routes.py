"""The dashboard: the first page a patient sees after signing in."""

from portal.access import Permission, patient_for, patient_required
from portal.records import bp
from portal.rendering import render


@bp.get("/home")
@patient_required
def dashboard():
    """The patient's start page: whose record this is and where to go next."""
    patient = patient_for(Permission.VIEW_RECORD)
    return render("records/dashboard.html", patient=patient)
