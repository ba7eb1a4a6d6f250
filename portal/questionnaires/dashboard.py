"""The "Forms to fill in" panel on the patient's home page."""

from portal.dashboard import panel
from portal.models import Patient
from portal.questionnaires import services


@panel("appointments", "questionnaires/_dashboard.html",
       figures={"open": services.OPEN_COUNT})
def forms_panel(patient: Patient, figures: dict) -> dict:
    """How many forms the patient still has to send (read with the other panels' figures)."""
    return {"open": figures["open"] or 0}
