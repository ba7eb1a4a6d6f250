"""The appointments panel on the patient's home page."""

from portal.appointments import services
from portal.dashboard import panel
from portal.models import Patient
from portal.types import utcnow


@panel("appointments", "appointments/_dashboard.html")
def appointments_panel(patient: Patient) -> dict:
    """The patient's next booked appointment, if any (one query)."""
    return {"next": services.next_appointment(patient, utcnow())}
