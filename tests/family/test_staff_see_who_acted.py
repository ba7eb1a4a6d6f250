"""Staff see when a parent or carer, not the patient, wrote or asked: on the conversation,
on the correction request and in the record's audit trail, as on the check-in (which
tests/appointments/test_check_in_reaches_staff.py covers). The patient's own words and
requests carry no such note."""

from __future__ import annotations

from sqlalchemy import select

from portal.corrections.models import CorrectionRequest
from portal.extensions import db
from portal.messages.models import Thread
from tests.conftest import login_as, make_user, post_form
from tests.family.helpers import child, grant, parent
from tests.messages.conftest import ALWAYS_OPEN, make_team
from tests.records.test_views import add_item, text

ACTING = "Anna de Vries, acting for the patient"


def test_a_parents_message_request_and_trail_are_named_for_staff(app, client, clinic):
    clinic.opening_hours = ALWAYS_OPEN
    clinician, admin = make_user("clinician"), make_user("admin")
    team = make_team("Doctors", "A question for my doctor", clinician)
    mother, son = parent(display_name="Anna de Vries"), child()
    grant(mother, son, ["messages", "records", "account"])
    item = add_item(son, "allergy", title="Peanut allergy")

    family = app.test_client()
    login_as(family, mother)
    assert post_form(family, "/messages/new", {"topic": str(team.id), "subject": "Rash",
                                               "body": "Daan has a rash."},
                     content_type="multipart/form-data").status_code == 303
    assert post_form(family, f"/record/corrections/new/{item.id}",
                     {"reason": "not-mine", "details": "Daan eats peanuts."}).status_code == 303
    thread = db.session.scalar(select(Thread).where(Thread.patient_id == son.id))
    found = db.session.scalar(select(CorrectionRequest))
    # The parent reads her own message as the clinic does.
    assert f"From {ACTING}" in text(family.get(f"/messages/{thread.id}"))

    login_as(client, clinician)
    assert f"From {ACTING}" in text(client.get(f"/staff/messages/{thread.id}"))
    request_page = text(client.get(f"/staff/corrections/{found.id}"))
    assert "In the sender's words Daan eats peanuts." in request_page
    assert f", {ACTING}" in request_page and "In the patient's words" not in request_page

    client.delete_cookie("session")
    login_as(client, admin)
    trail = text(client.get(f"/staff/patients/{son.id}/audit"))
    assert "Anna de Vries (acting for the patient)" in trail
    assert "Anna de Vries (Patient)" not in trail


def test_the_patients_own_message_and_request_carry_no_note(app, client, clinic):
    clinic.opening_hours = ALWAYS_OPEN
    clinician = make_user("clinician")
    team = make_team("Doctors", "A question for my doctor", clinician)
    patient = make_user(display_name="Oliver Bennett")
    item = add_item(patient.patient, "allergy", title="Peanut allergy")
    own = app.test_client()
    login_as(own, patient)
    post_form(own, "/messages/new", {"topic": str(team.id), "subject": "Rash", "body": "A rash."},
              content_type="multipart/form-data")
    post_form(own, f"/record/corrections/new/{item.id}", {"reason": "not-mine", "details": ""})
    thread = db.session.scalar(select(Thread))
    found = db.session.scalar(select(CorrectionRequest))
    login_as(client, clinician)
    assert "From Oliver Bennett" in text(client.get(f"/staff/messages/{thread.id}"))
    request_page = text(client.get(f"/staff/corrections/{found.id}"))
    assert "In the patient's words" in request_page
    assert "acting for the patient" not in request_page
