"""The "Amount due" panel on the patient's home page."""

from portal.billing.ledger import balance
from portal.dashboard import panel
from portal.models import Patient


@panel("billing", "billing/_dashboard.html")
def billing_panel(patient: Patient) -> dict:
    """What the patient owes now (one query)."""
    return {"balance": balance(patient.id)}
