"""Staff pages by role, referrals from staff to patient, and checking in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.appointments.models import AppointmentType, Referral, Slot
from portal.extensions import db
from portal.records.models import RecordItem
from portal.types import utcnow
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import login_as, make_user, post_form

STAFF_PAGES = ["/staff/appointments", "/staff/appointments/slots",
               "/staff/appointments/types", "/staff/appointments/places",
               "/staff/appointments/closed-days"]


@pytest.mark.parametrize("role, allowed", [("patient", False), ("billing", False),
                                           ("front_desk", True), ("clinician", True),
                                           ("admin", True)])
def test_only_staff_who_run_the_book_reach_its_pages(client, book, role, allowed):
    login_as(client, make_user(role=role))
    for url in STAFF_PAGES:
        assert client.get(url).status_code == (200 if allowed else 404), url
    response = client.post("/staff/appointments/slots/series", data={"weekdays": ["1"]})
    assert response.status_code in ((400, 422) if allowed else (404, 400))
    assert db.session.scalar(select(func.count(Slot.id))) == 0


def test_staff_add_an_appointment_type_in_three_languages(client, book):
    login_as(client, make_user(role="admin"))
    response = post_form(client, "/staff/appointments/types", {
        "name_en": "Travel vaccination", "name_nl": "Reisvaccinatie", "name_pl": "Szczepienie",
        "duration_minutes": "20", "cancel_cutoff_hours": "48", "bookable_online": "y",
        "active": "y"})
    assert response.status_code == 303
    kind = db.session.scalar(select(AppointmentType).where(
        AppointmentType.duration_minutes == 20))
    assert kind.names == {"en": "Travel vaccination", "nl": "Reisvaccinatie",
                          "pl": "Szczepienie"}
    assert (kind.cancel_cutoff_hours, kind.bookable_online) == (48, True)
    bad = post_form(client, "/staff/appointments/types", {"name_en": "", "duration_minutes": "1",
                                                          "cancel_cutoff_hours": "1"})
    assert bad.status_code == 422
    assert "Enter the name in English." in bad.get_data(as_text=True)


def test_a_referral_staff_add_shows_to_that_patient_only(app, client, book):
    patient_user, other = make_user(), make_user()
    login_as(client, make_user(role="clinician"))
    url = f"/staff/patients/{patient_user.patient_id}/appointments"
    response = post_form(client, f"/staff/patients/{patient_user.patient_id}/referrals", {
        "referred_to": "Dermatology, AMC", "reason": "To look at a mole",
        "referred_on": "2026-11-01", "status": "sent"}, page=url)
    assert response.status_code == 303
    referral = db.session.scalar(select(Referral))
    assert (referral.patient_id, referral.status) == (patient_user.patient_id, "sent")
    post_form(client, f"/staff/patients/{patient_user.patient_id}/referrals/{referral.id}",
              {"status": "accepted"}, page=url)
    assert db.session.get(Referral, referral.id).status == "accepted"

    own = app.test_client()
    login_as(own, patient_user)
    page = own.get("/appointments/referrals").get_data(as_text=True)
    assert "Dermatology, AMC" in page and "To look at a mole" in page and "Accepted" in page
    stranger = app.test_client()
    login_as(stranger, other)
    assert "Dermatology" not in stranger.get("/appointments/referrals").get_data(as_text=True)


def test_a_patient_checks_in_and_the_answers_are_kept(client, book, clinic):
    user = make_user()
    db.session.add(RecordItem(patient_id=user.patient_id, kind="medication", fhir_id="m1",
                              title="Metformin 500 mg", status="active", details={},
                              resource={}, content_hash="x"))
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    appointment = make_appointment(user.patient, make_slot(book, start), book.kind)
    login_as(client, user)
    url = f"/appointments/{appointment.id}/check-in"
    page = client.get(url).get_data(as_text=True)
    assert "Metformin 500 mg" in page and "Is your insurance still the same?" in page
    # A medicine to confirm, no allergy recorded: each question fits what is listed.
    assert "Are these still the medicines you take?" in page
    assert "Have your allergies stayed the same?" in page
    assert "Are these still your allergies?" not in page
    missing = post_form(client, url, {"contact_ok": "yes", "insurance_same": "yes",
                                      "medications_same": "no", "allergies_same": "yes"})
    assert missing.status_code == 422
    assert "Tell us what has changed in your medicines." in missing.get_data(as_text=True)
    done = post_form(client, url, {"contact_ok": "yes", "insurance_same": "no",
                                   "medications_same": "no",
                                   "medication_changes": "Stopped metformin",
                                   "allergies_same": "yes"})
    assert done.status_code == 303
    db.session.refresh(appointment)
    assert appointment.checked_in_at is not None
    assert appointment.check_in["medication_changes"] == "Stopped metformin"
    assert appointment.check_in["insurance_same"] == "no"


def test_check_in_is_not_open_a_week_ahead(client, book, clinic):
    user = make_user()
    start = utcnow().replace(microsecond=0) + timedelta(days=7)
    appointment = make_appointment(user.patient, make_slot(book, start), book.kind)
    login_as(client, user)
    url = f"/appointments/{appointment.id}/check-in"
    assert "Check-in is open from" in client.get(url).get_data(as_text=True)
    post_form(client, url, {"contact_ok": "yes", "insurance_same": "yes",
                            "medications_same": "yes", "allergies_same": "yes"},
              page=f"/appointments/{appointment.id}")
    db.session.refresh(appointment)
    assert appointment.checked_in_at is None


def test_the_administrator_sets_reminder_and_check_in_timing(app, client, book, clinic):
    desk = app.test_client()
    login_as(desk, make_user(role="front_desk"))
    assert "Reminders and check-in" not in desk.get("/staff/appointments/types").get_data(
        as_text=True)
    refused = post_form(desk, "/staff/appointments/settings",
                        {"reminder_hours": "48", "check_in_days": "5"},
                        page="/staff/appointments/types")
    assert refused.status_code == 404
    login_as(client, make_user(role="admin"))
    bad = post_form(client, "/staff/appointments/settings",
                    {"reminder_hours": "0", "check_in_days": "5"},
                    page="/staff/appointments/types")
    assert bad.status_code == 422
    assert "Enter a number of hours from 1 to 336." in bad.get_data(as_text=True)
    done = post_form(client, "/staff/appointments/settings",
                     {"reminder_hours": "48", "check_in_days": "5"},
                     page="/staff/appointments/types")
    assert done.status_code == 303
    db.session.refresh(clinic)
    assert (clinic.reminder_hours, clinic.check_in_days) == (48, 5)
