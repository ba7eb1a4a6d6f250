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
from tests.conftest import count_queries, login_as, make_patient, make_user, post_form

CHANGE = "stopped atorvastatin, muscle pain"


def _check_in(client, appointment, **answers):
    """Check in through the page: nothing changed, unless `answers` say otherwise."""
    values = {"contact_ok": "yes", "insurance_same": "yes", "medications_same": "yes",
              "allergies_same": "yes", **answers}
    return post_form(client, f"/appointments/{appointment.id}/check-in", values)


def _oliver_books(app, book, days: int = 1):
    """Oliver, signed in in a browser of his own, with an appointment in `days` days."""
    oliver = make_user(patient=make_patient(given_name="Oliver", family_name="Bennett"))
    start = utcnow().replace(microsecond=0) + timedelta(days=days)
    appointment = make_appointment(oliver.patient, make_slot(book, start), book.kind)
    patient_side = app.test_client()
    login_as(patient_side, oliver)
    return oliver, appointment, patient_side


def _checked_in(app, book, **answers):
    """Oliver books tomorrow and checks in through the page, with `answers`."""
    oliver, appointment, patient_side = _oliver_books(app, book)
    assert _check_in(patient_side, appointment, **answers).status_code == 303
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
    login_as(client, make_user("front_desk", patient=None))
    admin = app.test_client()
    login_as(admin, make_user("admin", patient=None))
    staff_page = f"/staff/patients/{son.id}/appointments"

    def statements() -> tuple[int, int]:
        with count_queries() as day:
            _day(client, appointment)
        with count_queries() as patient_page:
            admin.get(staff_page)
        return day(), patient_page()

    before = statements()
    family_side = app.test_client()
    login_as(family_side, mother)
    assert _check_in(family_side, appointment, insurance_same="no").status_code == 303
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).checked_in_by_id == mother.id

    row = _row(_day(client, appointment), "Daan de Vries")
    assert "by Anna de Vries, acting for the patient" in row and "Insurance changed" in row
    page = admin.get(staff_page).get_data(as_text=True)
    assert "by Anna de Vries, acting for the patient" in page
    # Who checked in comes with the appointment: no statement of its own on either page.
    assert statements() == before
    # A patient who checks in for themselves is not named: "Checked in on …" says it all.
    oliver, own = _checked_in(app, book)
    assert db.session.get(type(own), own.id).checked_in_by_id == oliver.id
    assert "acting for the patient" not in _row(_day(client, own), "Oliver Bennett")


def test_a_changed_insurance_at_check_in_leads_to_the_form_and_reaches_billing(app, client,
                                                                              book, clinic):
    from portal.billing.models import Coverage

    _, appointment, patient_side = _oliver_books(app, book)
    response = _check_in(patient_side, appointment, insurance_same="no")
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
    _, appointment, client = _oliver_books(app, book)
    response = _check_in(client, appointment, contact_ok="no")
    assert response.status_code == 303 and response.headers["Location"] == "/account/contact"
    assert "your contact details are not up to date: correct them here." in client.get(
        "/account/contact").get_data(as_text=True)
    # Nothing changed: back to the visit, as before.
    again = _check_in(client, appointment)
    assert again.headers["Location"] == f"/appointments/{appointment.id}"
