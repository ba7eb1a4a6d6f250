"""The clinic builds forms through its pages, gives them to patients and reads the answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.appointments.models import AppointmentType
from portal.extensions import db
from portal.models import AuditEvent
from portal.questionnaires.models import FormResponse, Question, Questionnaire
from tests.conftest import login_as, make_patient, make_user, post_form
from tests.questionnaires.conftest import field, give, make_questionnaire


def test_a_clinician_builds_a_form_through_the_pages(client, clinic):
    login_as(client, make_user("clinician"))
    created = post_form(client, "/staff/forms/new", {
        "title_en": "Wellbeing check", "title_nl": "Welzijnscheck", "title_pl": "",
        "intro_en": "Two short questions."})
    assert created.status_code == 303
    form = db.session.scalar(select(Questionnaire))
    assert created.headers["Location"] == f"/staff/forms/{form.id}"
    assert form.status == "draft" and form.titles == {"en": "Wellbeing check",
                                                      "nl": "Welzijnscheck"}
    added = post_form(client, f"/staff/forms/{form.id}/questions/new", {
        "kind": "single_choice", "required": "y",
        "wording_en": "How often did you feel low?", "wording_nl": "Hoe vaak voelde u zich somber?",
        "wording_pl": "Jak często czułeś się przygnębiony?",
        "options_en": "Never\nSome days\nMost days", "options_nl": "Nooit\nSoms\nVaak",
        "options_pl": ""})
    assert added.status_code == 303
    question = db.session.scalar(select(Question))
    assert question.kind == "single_choice" and question.required
    assert question.wording["nl"] == "Hoe vaak voelde u zich somber?"
    assert [o["text"] for o in question.options] == [
        {"en": "Never", "nl": "Nooit"}, {"en": "Some days", "nl": "Soms"},
        {"en": "Most days", "nl": "Vaak"}]
    assert post_form(client, f"/staff/forms/{form.id}/status", {"status": "active"},
                     page=f"/staff/forms/{form.id}").status_code == 303
    db.session.refresh(form)
    assert form.status == "active"
    page = client.get(f"/staff/forms/{form.id}").get_data(as_text=True)
    assert "How often did you feel low?" in page and "In use" in page


def test_question_mistakes_are_shown_next_to_the_fields(client, clinic):
    login_as(client, make_user("admin"))
    form = make_questionnaire(status="draft")
    result = post_form(client, f"/staff/forms/{form.id}/questions/new", {
        "kind": "multiple_choice", "wording_en": "", "options_en": "Only one",
        "options_nl": "Een\nTwee"})
    assert result.status_code == 422
    page = result.get_data(as_text=True)
    assert "Enter the question in English." in page
    assert "Give at least two options, one per line." in page
    assert "Give as many options as in English" in page
    assert len(form.questions) == 7


def test_a_form_in_use_keeps_its_questions_but_its_wording_can_change(client, clinic):
    login_as(client, make_user("clinician"))
    form = make_questionnaire()
    question = form.questions[3]
    page = f"/staff/forms/{form.id}"
    removed = post_form(client, f"{page}/questions/{question.id}/remove", {}, page=page)
    assert removed.status_code == 303 and len(form.questions) == 7
    assert client.get(f"{page}/questions/new").status_code == 303
    changed = post_form(client, f"{page}/questions/{question.id}", {
        "kind": "text", "wording_en": "How are you today?",
        "options_en": "Fine\nNot fine"})
    assert changed.status_code == 303
    db.session.refresh(question)
    assert question.kind == "single_choice" and question.wording == {"en": "How are you today?"}
    assert [o["text"]["en"] for o in question.options] == ["Fine", "Not fine"]
    three = post_form(client, f"{page}/questions/{question.id}", {
        "wording_en": "How are you?", "options_en": "A\nB\nC"})
    assert three.status_code == 422 and "keep 2 options" in three.get_data(as_text=True)
    copied = post_form(client, f"{page}/copy", {}, page=page)
    copy = db.session.get(Questionnaire, int(copied.headers["Location"].rsplit("/", 1)[1]))
    assert copy.status == "draft" and len(copy.questions) == 7


def test_an_empty_draft_cannot_be_put_in_use(client, clinic):
    login_as(client, make_user("clinician"))
    post_form(client, "/staff/forms/new", {"title_en": "Empty"})
    form = db.session.scalar(select(Questionnaire))
    result = post_form(client, f"/staff/forms/{form.id}/status", {"status": "active"},
                       page=f"/staff/forms/{form.id}")
    assert result.status_code == 303
    db.session.refresh(form)
    assert form.status == "draft"
    assert "Add at least one question" in client.get(f"/staff/forms/{form.id}").get_data(
        as_text=True)


def test_a_form_is_attached_to_appointment_types(client, clinic):
    login_as(client, make_user("clinician"))
    form = make_questionnaire()
    first, second = AppointmentType(names={"en": "First visit"}), AppointmentType(
        names={"en": "Check-up"})
    db.session.add_all([first, second])
    db.session.commit()
    page = client.get(f"/staff/forms/{form.id}").get_data(as_text=True)
    assert "First visit" in page and "Check-up" in page
    result = post_form(client, f"/staff/forms/{form.id}/appointment-types",
                       {"types": [str(second.id)]}, page=f"/staff/forms/{form.id}")
    assert result.status_code == 303
    db.session.expire_all()
    assert [t.id for t in db.session.get(Questionnaire, form.id).appointment_types] == [second.id]


BUILDER_PAGES = ["/staff/forms", "/staff/forms/new", "/staff/forms/{form}",
                 "/staff/forms/{form}/questions/new", "/staff/forms/{form}/questions/{question}",
                 "/staff/patients/{patient}/forms"]


@pytest.mark.parametrize("role, allowed", [("clinician", True), ("admin", True),
                                           ("front_desk", False), ("billing", False),
                                           ("patient", False)])
def test_only_clinicians_and_administrators_reach_the_builder(client, clinic, role, allowed):
    form = make_questionnaire(status="draft")
    patient = make_patient()
    login_as(client, make_user(role))
    for template in BUILDER_PAGES:
        url = template.format(form=form.id, question=form.questions[0].id, patient=patient.id)
        assert client.get(url).status_code == (200 if allowed else 404), url
    created = post_form(client, "/staff/forms/new", {"title_en": "Sneaky"},
                        page="/account/contact")
    assert (created.status_code == 303) == allowed
    if not allowed:
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "denied"))


def test_staff_send_a_form_and_the_patient_gets_an_email(client, clinic, outbox):
    form = make_questionnaire()
    user = make_user()
    login_as(client, make_user("clinician"))
    url = f"/staff/patients/{user.patient_id}/forms"
    assert "Before your visit" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {}).status_code == 422
    result = post_form(client, url, {"questionnaire": str(form.id)})
    assert result.status_code == 303
    response = db.session.scalar(select(FormResponse))
    assert (response.patient_id, response.status) == (user.patient_id, "to_do")
    assert "fill in" in outbox.last_body(user.email) and "/forms" in outbox.last_body(user.email)
    assert "Before your visit" not in outbox.last_body(user.email)


def test_a_clinician_reads_what_the_patient_sent_and_the_read_is_audited(app, client, clinic):
    form = make_questionnaire()
    user = make_user(locale="pl")
    response = give(user.patient, form)
    login_as(client, user)
    post_form(client, f"/forms/{response.id}", {"action": "send", field(form, 1): "Ból pleców",
                                                field(form, 4): "1"})
    staff = make_user("clinician")
    client = app.test_client()
    login_as(client, staff)
    url = f"/staff/patients/{user.patient_id}/forms/{response.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Jaki jest powód wizyty?" in page and "Ból pleców" in page and "Dobrze" in page
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "form-viewed", AuditEvent.actor_id == staff.id,
        AuditEvent.patient_id == user.patient_id))
    other = make_patient()
    assert client.get(f"/staff/patients/{other.id}/forms/{response.id}").status_code == 404
    desk = app.test_client()
    login_as(desk, make_user("front_desk"))
    assert desk.get(url).status_code == 404


def test_answers_saved_for_later_stay_private_until_sent(app, client, clinic):
    form = make_questionnaire()
    user = make_user()
    response = give(user.patient, form)
    login_as(client, user)
    post_form(client, f"/forms/{response.id}", {"action": "save", field(form, 1): "Private"})
    client = app.test_client()
    login_as(client, make_user("clinician"))
    page = client.get(f"/staff/patients/{user.patient_id}/forms/{response.id}")
    assert "Private" not in page.get_data(as_text=True)
    assert "has not sent this form yet" in page.get_data(as_text=True)


def test_the_title_is_changed_and_a_missing_english_title_is_refused(client, clinic):
    login_as(client, make_user("admin"))
    form = make_questionnaire(status="draft")
    url = f"/staff/forms/{form.id}"
    refused = post_form(client, url, {"title_en": "", "title_nl": "Nieuwe titel"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Enter the title in English." in page and 'value="Nieuwe titel"' in page
    db.session.refresh(form)
    assert form.titles["en"] == "Before your visit"
    assert post_form(client, url, {"title_en": "New title"}).status_code == 303
    db.session.refresh(form)
    assert form.titles == {"en": "New title"} and form.intros == {}
