"""The messages panel on the patient's home page."""

from portal.dashboard import panel
from portal.messages import services
from portal.models import Patient


@panel("messages", "messages/_dashboard.html")
def messages_panel(patient: Patient) -> dict:
    """How many conversations have news the patient has not read (one query)."""
    return {"unread": services.unread_for_patient(patient.id)}
