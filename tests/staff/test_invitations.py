"""Staff invite patients: the patient page, the letter, the e-mail, sending again, cancelling."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from portal.auth.invitations import code_hash
from portal.auth.models import Invitation
from portal.models import AuditEvent
from portal.staff import services
from portal.types import utcnow
from tests.conftest import make_patient, make_user, post_form

LETTER_CODE = re.compile(r'<p class="letter-code">([A-Z0-9-]+)</p>')


def _page(patient):
    return f"/staff/patients/{patient.id}"


def _invite_form(client, patient) -> dict:
    """What the invite form on the patient page sends, before the channels are chosen."""
    page = client.get(_page(patient)).get_data(as_text=True)
    replaces = re.search(r'name="replaces" type="hidden" value="([^"]*)"', page)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "replaces": replaces.group(1) if replaces else ""}


def _invite(client, patient, **channels):
    data = {**_invite_form(client, patient),
            **{key: "y" for key, on in channels.items() if on}}
    return client.post(f"{_page(patient)}/invitation", data=data)


def _activate(client, code, patient):
    born = patient.birth_date
    return post_form(client, "/activate", {
        "code": code, "birth_day": born.day, "birth_month": born.month,
        "birth_year": born.year, "family_name": patient.family_name})


def _open_invitations(db, patient):
    return db.session.scalars(select(Invitation).filter_by(
        patient_id=patient.id, used_at=None, cancelled_at=None)).all()


def test_the_patient_list_links_to_the_patient_page(client, front_desk):
    patient = make_patient(family_name="Kowalski")
    page = client.get("/staff/patients").get_data(as_text=True)
    assert f'href="{_page(patient)}"' in page


def test_the_patient_page_shows_identity_status_and_actions(client, front_desk):
    patient = make_patient(given_name="Sanne", family_name="de Vries", phone="+31 6 1234")
    response = client.get(_page(patient))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1>") == 1 and "Sanne de Vries" in page
    assert patient.patient_number in page and "+31 6 1234" in page
    assert "No account and no open invitation." in page
    for action in ("/invitation", "/temporary-password"):
        assert f'<form method="post" action="{_page(patient)}{action}"' in page
    assert "/cancel" not in page and "/disable" not in page


def test_a_letter_invitation_shows_the_code_once_in_the_patients_language(client, db,
                                                                          front_desk, clinic):
    patient = make_patient(preferred_locale="pl", family_name="Wiśniewska")
    response = _invite(client, patient, by_letter=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<article class="letter" lang="pl"' in page
    assert '<html lang="en">' in page  # the page around the letter stays in the reader's language
    code = LETTER_CODE.search(page).group(1)
    invitation = _open_invitations(db, patient)[0]
    assert invitation.code_hash == code_hash(code) and invitation.channel == "letter"
    assert code not in invitation.code_hash
    last_day = services.last_valid_day(invitation)
    assert format_date(last_day, "long", locale="pl") in page  # e.g. "19 grudnia 2026"
    assert "http://127.0.0.1:8000" in page and clinic.phone in page
    assert "Print this letter" in page
    # the code is in no URL and on no page that can be loaded again
    assert code not in client.get(_page(patient)).get_data(as_text=True)
    assert "Invited. The code works until" in client.get(_page(patient)).get_data(as_text=True)


def test_an_email_invitation_goes_to_the_patient_in_their_language(client, db, front_desk,
                                                                   outbox):
    patient = make_patient(preferred_locale="nl", email="sanne@mail.example")
    response = _invite(client, patient, by_email=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "sanne@mail.example" in page and 'class="letter"' not in page
    messages = outbox.to("sanne@mail.example")
    assert len(messages) == 1
    body = messages[0].get_content()
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", body).group(0)
    invitation = _open_invitations(db, patient)[0]
    assert invitation.code_hash == code_hash(code) and invitation.channel == "email"
    assert format_date(services.last_valid_day(invitation), "long", locale="nl") in body
    assert "http://127.0.0.1:8000" in body


def test_both_channels_at_once(client, db, front_desk, outbox):
    patient = make_patient(email="both@mail.example")
    page = _invite(client, patient, by_email=True, by_letter=True).get_data(as_text=True)
    code = LETTER_CODE.search(page).group(1)
    assert code in outbox.last_body("both@mail.example")
    assert _open_invitations(db, patient)[0].channel == "both"


def test_no_email_address_is_explained_and_the_letter_offered(client, db, front_desk, outbox):
    patient = make_patient(email=None)
    assert "This patient has no e-mail address." in client.get(_page(patient)).get_data(
        as_text=True)
    response = _invite(client, patient, by_email=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Send a printed letter instead." in page and 'id="error-summary"' in page
    assert _open_invitations(db, patient) == [] and outbox.messages() == []


def test_a_channel_must_be_chosen(client, db, front_desk):
    patient = make_patient()
    response = _invite(client, patient)
    assert response.status_code == 422
    assert "Choose e-mail, a printed letter, or both." in response.get_data(as_text=True)


def test_sending_again_makes_the_old_code_stop_working(client, app, db, front_desk):
    patient = make_patient()
    first = LETTER_CODE.search(_invite(client, patient, by_letter=True).get_data(as_text=True))
    page = client.get(_page(patient)).get_data(as_text=True)
    assert ">Send again</button>" in page
    second = LETTER_CODE.search(_invite(client, patient, by_letter=True).get_data(as_text=True))
    assert first.group(1) != second.group(1)
    assert len(_open_invitations(db, patient)) == 1
    visitor = app.test_client()
    assert _activate(visitor, first.group(1), patient).status_code == 422
    assert _activate(visitor, second.group(1), patient).status_code == 303
    actions = db.session.scalars(select(AuditEvent.action).filter_by(patient_id=patient.id)
                                 .order_by(AuditEvent.id)).all()
    sent = [action for action in actions if action.startswith("invitation")]
    assert sent[:2] == ["invitation-sent", "invitation-resent"]
    assert "patient-page-viewed" in actions  # the staff page that sent them is on record


def test_posting_the_same_form_again_keeps_the_printed_code(client, app, db, front_desk):
    """A reload of the letter page posts the form again: that must not kill the code."""
    patient = make_patient()
    form = {**_invite_form(client, patient), "by_letter": "y"}
    first = client.post(f"{_page(patient)}/invitation", data=form)
    code = LETTER_CODE.search(first.get_data(as_text=True)).group(1)
    again = client.post(f"{_page(patient)}/invitation", data=form)
    assert again.status_code == 409
    assert "The code shown then still works." in again.get_data(as_text=True)
    assert len(db.session.scalars(select(Invitation).filter_by(patient_id=patient.id)).all()) == 1
    assert _activate(app.test_client(), code, patient).status_code == 303


def test_the_result_page_keeps_htmx_at_the_patient_page(client, front_desk):
    patient = make_patient()
    response = _invite(client, patient, by_letter=True)
    assert response.headers["HX-Push-Url"] == "false"


def test_cancelling_makes_the_code_stop_working(client, app, db, front_desk):
    patient = make_patient()
    code = LETTER_CODE.search(_invite(client, patient, by_letter=True).get_data(as_text=True))
    response = post_form(client, f"{_page(patient)}/invitation/cancel", {}, page=_page(patient))
    assert response.status_code == 303
    assert _open_invitations(db, patient) == []
    assert "No account and no open invitation." in client.get(_page(patient)).get_data(
        as_text=True)
    assert _activate(app.test_client(), code.group(1), patient).status_code == 422
    event = db.session.scalar(select(AuditEvent).filter_by(action="invitation-cancelled"))
    assert event.patient_id == patient.id and event.actor_id == front_desk.id


def test_the_code_works_through_the_last_day_named_in_the_letter(client, db, front_desk, clinic):
    patient = make_patient()
    _invite(client, patient, by_letter=True)
    invitation = _open_invitations(db, patient)[0]
    zone = ZoneInfo(clinic.timezone)
    today = utcnow().astimezone(zone).date()
    assert services.last_valid_day(invitation) == today + timedelta(days=clinic.invitation_days)
    end = datetime.combine(today + timedelta(days=clinic.invitation_days + 1), time(0), zone)
    assert invitation.expires_at == end
    assert invitation.is_open(end - timedelta(microseconds=1)) and not invitation.is_open(end)


def test_an_invitation_that_was_tried_too_often_says_so(client, db, front_desk):
    patient = make_patient()
    _invite(client, patient, by_letter=True)
    invitation = _open_invitations(db, patient)[0]
    invitation.failed_attempts = 5
    db.session.commit()
    page = client.get(_page(patient)).get_data(as_text=True)
    assert "no longer works. Send a new invitation." in page


def test_patients_outside_the_clinics_groups_cannot_be_invited(client, db, front_desk):
    patient = make_patient(category="polyclinic")
    page = client.get(_page(patient)).get_data(as_text=True)
    assert "does not offer the portal to this patient's group" in page
    assert f'action="{_page(patient)}/invitation"' not in page
    response = _invite(client, patient, by_letter=True)
    assert response.status_code == 409 and _open_invitations(db, patient) == []


def test_a_patient_with_an_account_gets_no_invitation(client, db, front_desk):
    user = make_user()
    response = _invite(client, user.patient, by_letter=True)
    assert response.status_code == 409
    assert "already has an account" in response.get_data(as_text=True)


def test_the_patient_page_links_to_what_the_role_may_open(app, client, clinic):
    from tests.conftest import login_as
    patient = make_patient()
    appointments = f'href="/staff/patients/{patient.id}/appointments"'
    forms = f'href="/staff/patients/{patient.id}/forms"'
    login_as(client, make_user(role="front_desk"))
    page = client.get(_page(patient)).get_data(as_text=True)
    assert appointments in page and forms not in page
    assert client.get(f"/staff/patients/{patient.id}/appointments").status_code == 200
    client = app.test_client()
    login_as(client, make_user(role="admin", username="boss"))
    page = client.get(_page(patient)).get_data(as_text=True)
    assert appointments in page and forms in page
    assert client.get(f"/staff/patients/{patient.id}/forms").status_code == 200


def _born_years_ago(years: int, days_later: int = 0):
    from portal.family.rules import clinic_today
    today = clinic_today()
    if (today.month, today.day) == (2, 29):  # born on 29 February: a year older on 1 March
        today = today + timedelta(days=1)
    return today.replace(year=today.year - years) + timedelta(days=days_later)


@pytest.mark.parametrize("preset, own_age", [("nl", 12), ("pl", 16)])
def test_a_child_gets_an_own_account_only_from_the_age_the_rules_name(
        app, client, db, front_desk, clinic, preset, own_age):
    clinic.proxy_age_preset = preset
    db.session.commit()
    younger = make_patient(birth_date=_born_years_ago(own_age, days_later=1))
    page = client.get(_page(younger)).get_data(as_text=True)
    assert "too young for an own account" in page
    assert f'action="{_page(younger)}/invitation"' not in page
    response = _invite(client, younger, by_letter=True)
    assert response.status_code == 409 and _open_invitations(db, younger) == []
    birthday = make_patient(birth_date=_born_years_ago(own_age))
    assert "too young" not in client.get(_page(birthday)).get_data(as_text=True)
    assert _invite(client, birthday, by_letter=True).status_code == 200
    assert len(_open_invitations(db, birthday)) == 1
