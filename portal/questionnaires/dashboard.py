"""The "Forms to fill in" panel on the patient's home page."""

from portal.dashboard import panel
from portal.models import Patient
from portal.questionnaires import services


@panel("appointments", "questionnaires/_dashboard.html")
def forms_panel(patient: Patient) -> dict:
    """How many forms the patient still has to send (one query)."""
    return {"open": services.open_count(patient)}
