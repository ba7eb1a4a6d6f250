"""The patient fills in a form: in their language, saved for later, sent once and frozen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.questionnaires.models import FormResponse
from tests.conftest import login_as, make_user, post_form
from tests.questionnaires.conftest import field, give


def _answers(questionnaire, **by_position) -> dict:
    return {field(questionnaire, int(key[1:])): value for key, value in by_position.items()}


def test_the_list_shows_the_form_to_fill_in(client, questionnaire):
    user = make_user()
    give(user.patient, questionnaire)
    login_as(client, user)
    page = client.get("/forms").get_data(as_text=True)
    assert "Before your visit" in page and "To fill in" in page
    home = client.get("/home").get_data(as_text=True)
    assert "Forms to fill in" in home and "The clinic asks you to fill in 1 form." in home


@pytest.mark.parametrize("lang, title, question, option", [
    ("nl", "Voor uw bezoek", "Hoe voelt u zich?", "Niet goed"),
    ("pl", "Przed wizytą", "Jak się czujesz?", "Źle"),
])
def test_the_patient_reads_the_form_in_their_language(client, questionnaire, lang, title,
                                                      question, option):
    user = make_user(locale=lang)
    response = give(user.patient, questionnaire)
    login_as(client, user)
    page = client.get(f"/forms/{response.id}").get_data(as_text=True)
    assert title in page and question in page and option in page
    assert "How do you feel?" not in page


def test_the_form_has_a_real_field_for_every_kind(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    page = client.get(f"/forms/{response.id}").get_data(as_text=True)
    assert f'<form method="post" action="/forms/{response.id}"' in page
    assert 'inputmode="decimal"' in page and 'type="date"' in page
    assert 'type="radio"' in page and 'type="checkbox"' in page and "<textarea" in page
    assert "Your weight in kg (optional)" in page
    assert 'value="save"' in page and 'value="send"' in page


def test_save_for_later_keeps_answers_without_asking_for_required_ones(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    result = post_form(client, f"/forms/{response.id}", {
        "action": "save", **_answers(questionnaire, q2="72,5", q5=["1", "2"])})
    assert result.status_code == 303
    db.session.refresh(response)
    assert response.status == "in_progress" and response.submitted_at is None
    assert response.answers == {str(questionnaire.questions[1].id): "72.5",
                                str(questionnaire.questions[4].id): ["1", "2"]}
    page = client.get(f"/forms/{response.id}").get_data(as_text=True)
    assert 'value="72.5"' in page and "Answer this question." not in page
    assert page.count("checked") == 2


def test_save_with_a_word_in_a_number_box_says_so_and_keeps_the_rest(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    result = post_form(client, f"/forms/{response.id}", {
        "action": "save", **_answers(questionnaire, q1="Back pain", q2="heavy")})
    assert result.status_code == 422
    page = result.get_data(as_text=True)
    assert "Enter a number, for example 12 or 1.5." in page and 'value="heavy"' in page
    db.session.refresh(response)
    assert response.answers == {str(questionnaire.questions[0].id): "Back pain"}


def test_a_number_outside_the_limits_is_refused(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    result = post_form(client, f"/forms/{response.id}", {
        "action": "save", **_answers(questionnaire, q2="3000")})
    assert result.status_code == 422
    assert "Enter a number from 30 to 300." in result.get_data(as_text=True)


def test_send_refuses_missing_required_answers_and_keeps_what_was_typed(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    result = post_form(client, f"/forms/{response.id}", {
        "action": "send", **_answers(questionnaire, q7="Typed words stay")})
    assert result.status_code == 422
    page = result.get_data(as_text=True)
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="#[^"]+">([^<]+)</a>', summary)
    assert len(links) == 2 and all(text.startswith("Answer: ") for text in links)
    assert links == ["Answer: What is the reason for your visit?", "Answer: How do you feel?"]
    assert f'href="#{field(questionnaire, 1)}"' in page and "Typed words stay" in page
    db.session.refresh(response)
    assert response.status == "to_do" and response.snapshot is None
    assert response.submitted_at is None


def test_sent_answers_are_frozen_with_the_wording_the_patient_read(app, client, questionnaire):
    user = make_user(locale="nl")
    response = give(user.patient, questionnaire)
    login_as(client, user)
    result = post_form(client, f"/forms/{response.id}", {
        "action": "send", **_answers(questionnaire, q1="Rugpijn", q3="2026-03-02", q4="2",
                                     q6="yes")})
    assert result.status_code == 303
    db.session.refresh(response)
    assert response.status == "sent" and response.submitted_by_id == user.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "form-sent"))
    # The clinic rewords the question afterwards: what the patient sent does not change.
    staff = app.test_client()
    login_as(staff, make_user("clinician"))
    question = questionnaire.questions[3]
    edited = post_form(staff, f"/staff/forms/{questionnaire.id}/questions/{question.id}", {
        "wording_en": "Changed", "wording_nl": "Veranderd", "options_en": "Fine\nIll"})
    assert edited.status_code == 303
    db.session.refresh(question)
    assert question.wording["nl"] == "Veranderd"
    page = client.get(f"/forms/{response.id}").get_data(as_text=True)
    assert "Hoe voelt u zich?" in page and "Veranderd" not in page
    assert "Niet goed" in page and "Rugpijn" in page and "2 maart 2026" in page
    assert "<textarea" not in page
    again = post_form(client, f"/forms/{response.id}", {
        "action": "send", **_answers(questionnaire, q1="Other")}, page="/forms")
    assert again.status_code == 303
    db.session.refresh(response)
    assert response.answers[str(questionnaire.questions[0].id)] == "Rugpijn"


def test_another_patients_form_is_404_with_an_audit_line(client, questionnaire):
    owner, other = make_user(), make_user()
    response = give(owner.patient, questionnaire)
    login_as(client, other)
    assert client.get(f"/forms/{response.id}").status_code == 404
    assert post_form(client, f"/forms/{response.id}", {"action": "save"},
                     page="/forms").status_code == 404
    refusals = db.session.scalars(select(AuditEvent).where(
        AuditEvent.outcome == "denied", AuditEvent.target == f"form-response:{response.id}"))
    assert len(list(refusals)) == 2
    assert db.session.get(FormResponse, response.id).answers == {}


def test_answers_with_markup_are_shown_as_text(client, questionnaire):
    user = make_user()
    response = give(user.patient, questionnaire)
    login_as(client, user)
    post_form(client, f"/forms/{response.id}", {
        "action": "send", **_answers(questionnaire, q1="<script>alert(1)</script>", q4="1",
                                     q7="<b>bold</b>\nsecond line")})
    page = client.get(f"/forms/{response.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;<br>second line" in page


def test_staff_cannot_open_the_patient_pages(client, questionnaire):
    login_as(client, make_user("clinician"))
    assert client.get("/forms").status_code == 404
