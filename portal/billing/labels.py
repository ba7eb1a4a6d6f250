"""Words for the states and kinds the billing pages show (translated, never colour alone)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

STATEMENT_STATES = {"open": _l("To pay"), "partly_paid": _l("Partly paid"),
                    "overdue": _l("Overdue"), "paid": _l("Paid")}
PAYMENT_STATES = {"open": _l("Waiting for the bank"), "pending": _l("Waiting for the bank"),
                  "paid": _l("Paid"), "failed": _l("Failed"),
                  # Its own context: Dutch says a payment and an appointment are cancelled
                  # in different words (geannuleerd, afgezegd).
                  "canceled": lazy_pgettext("payment", "Cancelled"),
                  "expired": _l("Expired")}
METHODS = {"cash": _l("Cash"), "card": _l("Card at the desk"),
           "transfer": _l("Bank transfer"), "online": _l("Online")}
ENTRY_KINDS = {"charge": _l("Charge"), "insurance": _l("Paid by insurance"),
               "payment": _l("Payment"), "refund": _l("Refund")}
PLAN_STATES = {"requested": _l("Waiting for the clinic"), "approved": _l("Approved"),
               "declined": _l("Declined")}


def billing_label(kind: str, value: str) -> str:
    """The words for `value` of `kind` (statement, payment, method, entry, plan)."""
    table = {"statement": STATEMENT_STATES, "payment": PAYMENT_STATES, "method": METHODS,
             "entry": ENTRY_KINDS, "plan": PLAN_STATES}[kind]
    return str(table.get(value, value))
