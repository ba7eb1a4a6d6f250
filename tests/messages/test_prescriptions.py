"""Repeat prescriptions: asked from the medicines list, decided by a clinician."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messages.models import RepeatRequest
from portal.models import AuditEvent
from tests.conftest import login_as, make_user, post_form
from tests.records.test_views import add_item


@pytest.fixture
def patient_user(clinic):
    return make_user(display_name="Mia Meds")


@pytest.fixture
def medicine(patient_user):
    return add_item(patient_user.patient, "medication", title="Metformin 500 mg",
                    status="active", details={"dosage": "1 tablet twice a day"})


def _ask(client, medicine, **data):
    url = f"/prescriptions/new/{medicine.id}"
    return post_form(client, url, {"pharmacy": "Apotheek Noord", "note": "", **data})


def _requests():
    return list(db.session.scalars(select(RepeatRequest).order_by(RepeatRequest.id)))


def test_the_medicines_page_links_each_current_medicine_to_a_request(client, patient_user,
                                                                     medicine):
    stopped = add_item(patient_user.patient, "medication", title="Old pills", status="stopped")
    login_as(client, patient_user)
    page = client.get("/record/medications").get_data(as_text=True)
    assert f'href="/prescriptions/new/{medicine.id}"' in page
    assert "Ask for a repeat prescription of Metformin 500 mg" in page
    assert f'href="/prescriptions/new/{stopped.id}"' not in page
    assert client.get(f"/prescriptions/new/{stopped.id}").status_code == 404


def test_asking_stores_the_request_once(client, patient_user, medicine):
    login_as(client, patient_user)
    form = client.get(f"/prescriptions/new/{medicine.id}").get_data(as_text=True)
    assert "Apotheek Noord" in form and "Another pharmacy" in form
    response = _ask(client, medicine, note="One week left")
    assert response.status_code == 303
    [request] = _requests()
    assert (request.medication, request.pharmacy, request.note, request.status) == (
        "Metformin 500 mg", "Apotheek Noord", "One week left", "requested")
    assert "Waiting for the clinic" in client.get("/prescriptions").get_data(as_text=True)

    again = _ask(client, medicine)
    assert again.status_code == 409
    assert "you do not need to ask again" in again.get_data(as_text=True)
    assert len(_requests()) == 1


def test_another_pharmacy_needs_its_name(client, patient_user, medicine):
    login_as(client, patient_user)
    response = _ask(client, medicine, pharmacy="other", other_pharmacy="", note="kept note")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the name and town of the pharmacy." in page and "kept note" in page
    assert _requests() == []
    assert _ask(client, medicine, pharmacy="other",
                other_pharmacy="Apteka Nowa, Kraków").status_code == 303
    assert _requests()[0].pharmacy == "Apteka Nowa, Kraków"


def test_someone_elses_medicine_is_a_404_with_an_audit_line(client, patient_user, medicine):
    intruder = make_user()
    login_as(client, intruder)
    assert client.get(f"/prescriptions/new/{medicine.id}").status_code == 404
    assert _ask(client, medicine).status_code == 404
    assert _requests() == []
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.actor_id == intruder.id, AuditEvent.outcome == "denied",
        AuditEvent.target == f"medication:{medicine.id}"))


def test_a_clinician_declines_with_a_reason_and_the_patient_is_told(
        app, client, patient_user, medicine, outbox):
    patient_client = app.test_client()
    login_as(patient_client, patient_user)
    _ask(patient_client, medicine)
    [request] = _requests()
    login_as(client, make_user(role="clinician", display_name="Dr Vos"))
    assert "Metformin 500 mg" in client.get("/staff/prescriptions").get_data(as_text=True)
    url = f"/staff/prescriptions/{request.id}"
    missing = post_form(client, url, {"decision": "decline", "reason": ""})
    assert missing.status_code == 422
    assert "Say why the request is declined" in missing.get_data(as_text=True)
    assert _requests()[0].status == "requested"

    assert post_form(client, url, {"decision": "decline",
                                   "reason": "Please come in for a check first."}
                     ).status_code == 303
    db.session.refresh(request)
    assert request.status == "declined" and request.reason == "Please come in for a check first."
    mail = outbox.last_body(patient_user.email)
    assert "Metformin" not in mail and "check first" not in mail
    page = patient_client.get("/prescriptions").get_data(as_text=True)
    assert "Declined" in page and "Please come in for a check first." in page
    assert post_form(client, url, {"decision": "approve"}, page=url).status_code == 409


def test_approval_needs_no_reason(app, client, patient_user, medicine):
    patient_client = app.test_client()
    login_as(patient_client, patient_user)
    _ask(patient_client, medicine)
    staff = make_user(role="admin")
    login_as(client, staff)
    [request] = _requests()
    assert post_form(client, f"/staff/prescriptions/{request.id}",
                     {"decision": "approve"}).status_code == 303
    db.session.refresh(request)
    assert (request.status, request.decided_by_id) == ("approved", staff.id)


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_only_clinicians_and_admins_decide(client, patient_user, medicine, role):
    login_as(client, make_user(role=role))
    assert client.get("/staff/prescriptions").status_code == 404


def test_the_staff_list_shows_waiting_and_decided_requests(app, client, patient_user, medicine):
    patient_client = app.test_client()
    login_as(patient_client, patient_user)
    _ask(patient_client, medicine)
    login_as(client, make_user(role="clinician"))
    waiting = client.get("/staff/prescriptions")
    assert waiting.status_code == 200
    assert "Metformin 500 mg" in waiting.get_data(as_text=True)
    decided = client.get("/staff/prescriptions?status=decided")
    assert decided.status_code == 200
    assert "Metformin 500 mg" not in decided.get_data(as_text=True)
