"""What a patient says at check-in reaches staff: who checked in, what changed, and a flag
on a changed medicine or allergy for the clinician."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.types import utcnow
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import login_as, make_patient, make_user, post_form

CHANGE = "stopped atorvastatin, muscle pain"


def _checked_in(app, book, **answers):
    """Oliver books tomorrow and checks in through the page, with `answers`."""
    oliver = make_user(patient=make_patient(given_name="Oliver", family_name="Bennett"))
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    appointment = make_appointment(oliver.patient, make_slot(book, start), book.kind)
    patient_side = app.test_client()
    login_as(patient_side, oliver)
    values = {"contact_ok": "yes", "insurance_same": "yes", "medications_same": "yes",
              "allergies_same": "yes", **answers}
    url = f"/appointments/{appointment.id}/check-in"
    assert post_form(patient_side, url, values).status_code == 303
    return oliver, appointment


def _row(page: str, name: str) -> str:
    return next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if name in r)


def _day(client, appointment) -> str:
    day = appointment.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(
        "Europe/Amsterdam")).date().isoformat()
    return client.get(f"/staff/appointments?day={day}").get_data(as_text=True)


def test_the_clinician_sees_on_the_day_view_what_changed_with_a_flag(app, client, book,
                                                                      clinic):
    oliver, appointment = _checked_in(app, book, medications_same="no",
                                      medication_changes=CHANGE, contact_ok="no")
    login_as(client, make_user("clinician", patient=None))
    row = _row(_day(client, appointment), "Oliver Bennett")
    assert "Checked in on" in row
    assert "Medicines changed" in row and CHANGE in row
    assert "Contact details changed" in row
    assert '<strong class="new">Check</strong>' in row
    assert "Insurance changed" not in row and "Allergies changed" not in row
    # The page shows Oliver's health data: his audit trail says who looked.
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "appointments-day-viewed",
        AuditEvent.patient_id == oliver.patient_id))


def test_front_desk_sees_the_flag_but_not_the_words_about_medicines(app, client, book, clinic):
    _, appointment = _checked_in(app, book, allergies_same="no",
                                 allergy_changes="new: penicillin rash", insurance_same="no")
    login_as(client, make_user("front_desk", patient=None))
    row = _row(_day(client, appointment), "Oliver Bennett")
    assert "Allergies changed" in row and "Insurance changed" in row
    assert "penicillin" not in row and "the clinician sees what" in row
    assert '<strong class="new">Check</strong>' in row


def test_nothing_changed_says_so_and_carries_no_flag(app, client, book, clinic):
    _, appointment = _checked_in(app, book)
    login_as(client, make_user("clinician", patient=None))
    row = _row(_day(client, appointment), "Oliver Bennett")
    assert "nothing has changed" in row and "Check</strong>" not in row


def test_not_checked_in_is_shown_as_such(client, book, clinic):
    user = make_user(patient=make_patient(given_name="Oliver", family_name="Bennett"))
    appointment = make_appointment(user.patient, make_slot(book), book.kind)
    login_as(client, make_user("clinician", patient=None))
    assert "Not checked in yet" in _row(_day(client, appointment), "Oliver Bennett")


def test_the_patients_staff_pages_flag_the_change(app, client, book, clinic):
    oliver, _ = _checked_in(app, book, medications_same="no", medication_changes=CHANGE)
    login_as(client, make_user("admin", patient=None))
    page = client.get(f"/staff/patients/{oliver.patient_id}").get_data(as_text=True)
    assert "Changed at check-in" in page and "Medicines or allergies changed" in page
    appointments = client.get(f"/staff/patients/{oliver.patient_id}/appointments")
    assert CHANGE in appointments.get_data(as_text=True)
    # Another patient's page carries no flag.
    other = make_patient()
    db.session.commit()
    assert "Changed at check-in" not in client.get(
        f"/staff/patients/{other.id}").get_data(as_text=True)


def test_a_parents_check_in_is_named_for_staff_and_the_patients_own_is_not(app, client, book,
                                                                           clinic):
    from tests.family.helpers import child, grant, parent

    mother, son = parent(display_name="Anna de Vries"), child()
    grant(mother, son, ["appointments"])
    start = utcnow().replace(microsecond=0) + timedelta(days=1, minutes=30)
    appointment = make_appointment(son, make_slot(book, start), book.kind)
    family_side = app.test_client()
    login_as(family_side, mother)
    answers = {"contact_ok": "yes", "insurance_same": "no", "medications_same": "yes",
               "allergies_same": "yes"}
    url = f"/appointments/{appointment.id}/check-in"
    assert post_form(family_side, url, answers).status_code == 303
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).checked_in_by_id == mother.id

    login_as(client, make_user("front_desk", patient=None))
    row = _row(_day(client, appointment), "Daan de Vries")
    assert "by Anna de Vries, acting for the patient" in row and "Insurance changed" in row
    client.delete_cookie("session")
    login_as(client, make_user("admin", patient=None))
    page = client.get(f"/staff/patients/{son.id}/appointments").get_data(as_text=True)
    assert "by Anna de Vries, acting for the patient" in page
    # A patient who checks in for themselves is not named: "Checked in on …" says it all.
    oliver, own = _checked_in(app, book)
    assert db.session.get(type(own), own.id).checked_in_by_id == oliver.id
    assert "acting for the patient" not in _row(_day(client, own), "Oliver Bennett")


def test_a_changed_insurance_at_check_in_leads_to_the_form_and_reaches_billing(app, client,
                                                                              book, clinic):
    from portal.billing.models import Coverage

    oliver = make_user(patient=make_patient(given_name="Oliver", family_name="Bennett"))
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    appointment = make_appointment(oliver.patient, make_slot(book, start), book.kind)
    patient_side = app.test_client()
    login_as(patient_side, oliver)
    answers = {"contact_ok": "yes", "insurance_same": "no", "medications_same": "yes",
               "allergies_same": "yes"}
    response = post_form(patient_side, f"/appointments/{appointment.id}/check-in", answers)
    assert response.status_code == 303 and response.headers["Location"] == "/billing/insurance"
    form = patient_side.get("/billing/insurance").get_data(as_text=True)
    assert "You said the insurance has changed: enter the new details here" in form
    assert post_form(patient_side, "/billing/insurance", {
        "insurer": "CZ", "member_number": "999", "holder_name": "Oliver Bennett",
        "relation": "self", "valid_from": "2026-06-01"}).status_code == 303
    assert db.session.scalar(select(Coverage)).needs_review

    # The desk sees the flag; billing finds the new details to check.
    login_as(client, make_user("front_desk", patient=None))
    assert "Insurance changed" in _row(_day(client, appointment), "Oliver Bennett")
    client.delete_cookie("session")
    login_as(client, make_user("billing", patient=None))
    review = client.get("/staff/billing/insurance").get_data(as_text=True)
    assert "CZ" in review and "Oliver Bennett" in review


def test_outdated_contact_details_at_check_in_lead_to_the_patients_own_form(app, book, clinic):
    oliver, appointment = _checked_in(app, book)
    client = app.test_client()
    login_as(client, oliver)
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    second = make_appointment(oliver.patient, make_slot(book, start), book.kind)
    answers = {"contact_ok": "no", "insurance_same": "yes", "medications_same": "yes",
               "allergies_same": "yes"}
    response = post_form(client, f"/appointments/{second.id}/check-in", answers)
    assert response.status_code == 303 and response.headers["Location"] == "/account/contact"
    assert "your contact details are not up to date: correct them here." in client.get(
        "/account/contact").get_data(as_text=True)
    # Nothing changed: back to the visit, as before.
    unchanged = {**answers, "contact_ok": "yes"}
    again = post_form(client, f"/appointments/{appointment.id}/check-in", unchanged)
    assert again.headers["Location"] == f"/appointments/{appointment.id}"
