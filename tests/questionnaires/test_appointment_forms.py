"""Check-in asks for the forms attached to the appointment's type."""

from __future__ import annotations

from types import SimpleNamespace

from flask import g
from sqlalchemy import func, select

from portal.appointments.models import AppointmentType
from portal.clinic import current_clinic
from portal.extensions import db
from portal.questionnaires.models import FormResponse
from portal.questionnaires.services import forms_for_appointment, start_form
from tests.conftest import count_queries, make_patient
from tests.questionnaires.conftest import make_questionnaire


def _attached(type_, *forms):
    for form in forms:
        form.appointment_types = [type_]
    db.session.commit()


def test_forms_for_an_appointment_are_listed_and_made_only_when_started(app, clinic):
    kind, other_kind = AppointmentType(names={"en": "First visit"}), AppointmentType(names={})
    db.session.add_all([kind, other_kind])
    db.session.commit()
    first, second = make_questionnaire(), make_questionnaire()
    retired, elsewhere = make_questionnaire(status="retired"), make_questionnaire()
    second.titles = {"en": "Wellbeing", "nl": "Welzijn"}
    _attached(kind, first, second, retired)
    _attached(other_kind, elsewhere)
    patient = make_patient()
    appointment = SimpleNamespace(id=41, patient_id=patient.id, type_id=kind.id)
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        g.pop("clinic", None)
        with count_queries() as queries:
            found = forms_for_appointment(appointment)
        assert queries() <= 5
    # Listing the forms (the check-in page, a GET) makes nothing.
    assert db.session.scalar(select(func.count(FormResponse.id))) == 0
    assert found == [("Voor uw bezoek", f"/appointments/41/forms/{first.id}", False, False),
                     ("Welzijn", f"/appointments/41/forms/{second.id}", False, False)]
    with app.test_request_context("/"):
        made = start_form(appointment, first.id)
        assert start_form(appointment, first.id).id == made.id  # once
        assert start_form(appointment, elsewhere.id) is None  # not this visit's
        assert start_form(appointment, retired.id) is None
    rows = list(db.session.scalars(select(FormResponse)))
    assert [(r.questionnaire_id, r.appointment_id, r.patient_id) for r in rows] == [
        (first.id, 41, patient.id)]
    rows[0].status = "sent"
    db.session.commit()
    with app.test_request_context("/"):
        listed = forms_for_appointment(appointment)
    assert listed[0] == ("Voor uw bezoek", f"/forms/{rows[0].id}", True, True)
    assert listed[1].started is False


def test_the_query_count_does_not_grow_with_the_number_of_forms(app, clinic):
    kind = AppointmentType(names={"en": "Visit"})
    db.session.add(kind)
    db.session.commit()
    patient_id, type_id = make_patient().id, kind.id
    counts = []
    for n, appointment_id in ((1, 1), (6, 2)):
        _attached(kind, *[make_questionnaire() for _ in range(n)])
        with app.test_request_context("/"):
            current_clinic()
            with count_queries() as queries:
                forms_for_appointment(SimpleNamespace(id=appointment_id, patient_id=patient_id,
                                                      type_id=type_id))
        counts.append(queries())
    assert counts[0] == counts[1]
    assert db.session.scalar(select(func.count(FormResponse.id))) == 0


def test_an_appointment_without_a_type_asks_for_nothing(app, clinic):
    with app.test_request_context("/"):
        assert forms_for_appointment(SimpleNamespace(id=1, patient_id=1)) == []
