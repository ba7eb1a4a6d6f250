"""How forms and answers read on a page: the questionnaires area's template filters
(registered in the package's __init__)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.i18n import fmt_date, fmt_number
from portal.questionnaires.services import in_language

RESPONSE_STATUS_NAMES = {
    "to_do": _l("To fill in"),
    "in_progress": _l("Started, not sent yet"),
    "sent": _l("Sent"),
}
FORM_STATUS_NAMES = {
    "draft": _l("Draft"),
    "active": _l("In use"),
    "retired": _l("No longer used"),
}
KIND_NAMES = {
    "text": _l("Short text"),
    "long_text": _l("Long text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "single_choice": _l("One choice from a list"),
    "multiple_choice": _l("Several choices from a list"),
    "yes_no": _l("Yes or no"),
}


def new_forms_of(patient) -> int:
    """How many forms a patient (or, for None, every patient) sent that no one handled."""
    from portal.questionnaires.received import new_count

    return new_count(patient)


def form_text(texts: dict | None) -> str:
    """A form's text in the reader's language."""
    return in_language(texts)


def response_status(status: str) -> str:
    return str(RESPONSE_STATUS_NAMES.get(status, status))


def form_status(status: str) -> str:
    return str(FORM_STATUS_NAMES.get(status, status))


def question_kind(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


def answer_text(item: dict) -> str:
    """One answer as the reader reads it: a date or number in their notation, the chosen
    options by name, or the text as typed."""
    value = item.get("value")
    if value in (None, "", []):
        return _("Not answered")
    if item.get("labels"):
        return ", ".join(item["labels"])
    if item.get("kind") == "date":
        try:
            return fmt_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if item.get("kind") == "number":
        try:
            return fmt_number(Decimal(value))
        except (InvalidOperation, TypeError):
            return str(value)
    return str(value)
