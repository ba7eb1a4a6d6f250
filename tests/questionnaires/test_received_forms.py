"""Staff have a list of the forms patients sent, new until someone marks one handled."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.questionnaires.models import FormResponse
from tests.conftest import login_as, make_patient, make_user, post_form
from tests.questionnaires.conftest import field, give


def _sent_by_patient(app, questionnaire, name="Sanne") -> FormResponse:
    user = make_user(patient=make_patient(given_name=name, family_name="de Vries"))
    response = give(user.patient, questionnaire)
    patient_side = app.test_client()
    login_as(patient_side, user)
    sent = post_form(patient_side, f"/forms/{response.id}", {
        "action": "send", field(questionnaire, 1): "Back pain", field(questionnaire, 4): "2"})
    assert sent.status_code == 303
    db.session.refresh(response)
    assert response.status == "sent"
    return response


def test_a_sent_form_is_new_until_a_clinician_marks_it_handled(app, client, questionnaire):
    response = _sent_by_patient(app, questionnaire)
    clinician = make_user("clinician", patient=None, display_name="Dr Jansen")
    login_as(client, clinician)
    new = client.get("/staff/forms/received").get_data(as_text=True)
    assert "Sanne de Vries" in new and "Before your visit" in new and "New (1)" in new
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "forms-received-listed",
        AuditEvent.patient_id == response.patient_id))
    assert client.get("/staff/forms/received?state=handled").get_data(
        as_text=True).count("Sanne de Vries") == 0
    # The patient's own forms page and staff page say it is new, and link to it.
    forms = client.get(f"/staff/patients/{response.patient_id}/forms").get_data(as_text=True)
    assert '<strong class="new">new</strong>' in forms

    done = post_form(client, f"/staff/patients/{response.patient_id}/forms/{response.id}/handled",
                     {"back": "received"}, page="/staff/forms/received")
    assert done.status_code == 303 and done.headers["Location"] == "/staff/forms/received"
    db.session.refresh(response)
    assert response.handled_at is not None and response.handled_by_id == clinician.id
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "form-handled", AuditEvent.patient_id == response.patient_id))
    assert "is marked as handled" in client.get("/staff/forms/received").get_data(as_text=True)
    after = client.get("/staff/forms/received").get_data(as_text=True)
    assert "Sanne de Vries" not in after and "No new forms" in after
    handled = client.get("/staff/forms/received?state=handled").get_data(as_text=True)
    assert "Sanne de Vries" in handled and "Handled by Dr Jansen" in handled
    forms = client.get(f"/staff/patients/{response.patient_id}/forms").get_data(as_text=True)
    assert "handled" in forms and '<strong class="new">new</strong>' not in forms


def test_the_patients_staff_page_links_to_new_forms(app, client, questionnaire):
    response = _sent_by_patient(app, questionnaire)
    login_as(client, make_user("admin", patient=None))
    page = client.get(f"/staff/patients/{response.patient_id}").get_data(as_text=True)
    assert f'href="/staff/patients/{response.patient_id}/forms"' in page
    assert "1 new form sent" in page
    answers = client.get(f"/staff/patients/{response.patient_id}/forms/{response.id}")
    assert "Mark as handled" in answers.get_data(as_text=True)
    post_form(client, f"/staff/patients/{response.patient_id}/forms/{response.id}/handled", {},
              page=f"/staff/patients/{response.patient_id}/forms/{response.id}")
    page = client.get(f"/staff/patients/{response.patient_id}").get_data(as_text=True)
    assert "new form sent" not in page


def test_front_desk_does_not_see_forms_patients_sent(app, client, questionnaire):
    response = _sent_by_patient(app, questionnaire)
    login_as(client, make_user("front_desk", patient=None))
    assert client.get("/staff/forms/received").status_code in (403, 404)
    refused = post_form(client, f"/staff/patients/{response.patient_id}/forms/{response.id}"
                        "/handled", {}, page="/staff/patients")
    assert refused.status_code in (403, 404)
    db.session.refresh(response)
    assert response.handled_at is None


def test_another_patients_form_cannot_be_marked_through_a_wrong_address(app, client,
                                                                         questionnaire):
    response = _sent_by_patient(app, questionnaire)
    other = make_patient()
    login_as(client, make_user("clinician", patient=None))
    wrong = post_form(client, f"/staff/patients/{other.id}/forms/{response.id}/handled", {},
                      page="/staff/forms/received")
    assert wrong.status_code == 404
    db.session.refresh(response)
    assert response.handled_at is None
