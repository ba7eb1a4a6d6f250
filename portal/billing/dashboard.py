"""The "Amount due" panel on the patient's home page."""

from portal.billing.ledger import BALANCE, as_balance
from portal.dashboard import panel
from portal.models import Patient


@panel("billing", "billing/_dashboard.html", figures={"balance": BALANCE})
def billing_panel(patient: Patient, figures: dict) -> dict:
    """What the patient owes now (read with the other panels' figures)."""
    return {"balance": as_balance(figures["balance"])}
