"""The messages panel on the patient's home page."""

from portal.dashboard import panel
from portal.messages import services
from portal.models import Patient


@panel("messages", "messages/_dashboard.html", figures={"unread": services.UNREAD})
def messages_panel(patient: Patient, figures: dict) -> dict:
    """How many conversations have news the patient has not read (read with the other
    panels' figures; the menu's badge on the same page uses the same count)."""
    return {"unread": services.remember_unread(patient.id, figures["unread"])}
