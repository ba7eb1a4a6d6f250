"""A booking, a move, a cancelling and a form given each save their e-mails in their own
commit (ASVS-style "outbox"): when queuing the mail fails, the change is not kept either,
and when it succeeds both are there together."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from portal.appointments import notify
from portal.appointments.models import Appointment
from portal.extensions import db
from portal.mail.models import OutgoingMail
from tests.appointments.conftest import make_slot
from tests.conftest import login_as, make_user, post_form


class MailBroke(RuntimeError):
    """Queuing the mail failed (a stand-in for any failure inside the transaction)."""


def _mails() -> int:
    return db.session.scalar(select(func.count(OutgoingMail.id))) or 0


def test_a_booking_and_its_confirmation_are_one_commit(client, book, monkeypatch):
    user = make_user(locale="en")
    slot = make_slot(book, datetime(2030, 6, 4, 7, 30, tzinfo=UTC))
    login_as(client, user)
    page = f"/appointments/book/{slot.id}?type={book.kind.id}"
    fields = {"appointment_type": book.kind.id, "reason": "My knee hurts"}

    def broken(appointment):
        notify.queue_confirmation(appointment)
        raise MailBroke

    monkeypatch.setattr(notify, "queue_confirmation", broken)
    assert post_form(client, f"/appointments/book/{slot.id}", fields,
                     page=page).status_code == 500
    assert db.session.scalar(select(func.count(Appointment.id))) == 0 and _mails() == 0

    monkeypatch.undo()
    assert post_form(client, f"/appointments/book/{slot.id}", fields,
                     page=page).status_code == 303
    assert db.session.scalar(select(func.count(Appointment.id))) == 1 and _mails() == 1


def test_a_form_given_and_its_mail_are_one_commit(app, client, clinic, monkeypatch):
    from portal.questionnaires import notify as form_notify
    from portal.questionnaires.models import FormResponse
    from tests.questionnaires.conftest import make_questionnaire

    questionnaire = make_questionnaire(status="active")
    patient_user = make_user(locale="en")
    login_as(client, make_user(role="clinician"))
    url = f"/staff/patients/{patient_user.patient_id}/forms"

    def broken(patient):
        form_notify.tell_patient_side(patient, "appointments", "form_request")
        raise MailBroke

    monkeypatch.setattr(form_notify, "queue_form_requested", broken)
    assert post_form(client, url, {"questionnaire": questionnaire.id},
                     page=url).status_code == 500
    assert db.session.scalar(select(func.count(FormResponse.id))) == 0 and _mails() == 0

    monkeypatch.undo()
    assert post_form(client, url, {"questionnaire": questionnaire.id},
                     page=url).status_code == 303
    assert db.session.scalar(select(func.count(FormResponse.id))) == 1 and _mails() == 1
