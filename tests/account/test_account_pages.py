"""The account pages: overview, contact details, language and notifications."""

import re

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from tests.conftest import count_queries, csrf_token, login_as, make_patient, make_user, post_form

PAGES = ("/account/", "/account/contact", "/account/language", "/account/notifications",
         "/account/security", "/account/password", "/account/security/sign-out-others")


def _h1s(html: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)


@pytest.mark.parametrize("role", ["patient", "front_desk"])
@pytest.mark.parametrize("url", PAGES)
def test_every_account_page_opens_for_patients_and_staff(client, clinic, role, url):
    login_as(client, make_user(role=role))
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(_h1s(html)) == 1
    assert "<title>" in html and "style=" not in html


def test_the_overview_links_to_every_group_of_settings(client, clinic):
    login_as(client, make_user())
    html = client.get("/account/").get_data(as_text=True)
    for url in ("/account/contact", "/account/language", "/account/notifications",
                "/account/security", "/account/password"):
        assert f'href="{url}"' in html
    assert "Recent activity" in html


def test_the_overview_takes_the_same_number_of_queries_however_long_the_history(client, clinic):
    user = make_user()
    login_as(client, user)
    client.get("/account/")
    with count_queries() as few:
        client.get("/account/")
    for _ in range(15):
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account/")})
        login_as(client, user)
    with count_queries() as many:
        html = client.get("/account/").get_data(as_text=True)
    assert html.count("<tr>") == 11  # the header and the ten latest
    assert many() == few()


def _contact(patient, **changes):
    data = {"phone": patient.phone or "", "address_line": patient.address_line or "",
            "postal_code": patient.postal_code or "", "city": patient.city or "",
            "country": patient.country or ""}
    data.update(changes)
    return data


def test_a_patient_changes_phone_and_address_and_the_audit_names_only_the_fields(
        client, clinic, db):
    user = make_user()
    patient = user.patient
    login_as(client, user)
    response = post_form(client, "/account/contact", _contact(
        patient, phone="+31 (0)6-1234 5678", address_line="Keizersgracht 12",
        postal_code="1015 CJ", city="Amsterdam", country="NL"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/contact"
    db.session.refresh(patient)
    assert (patient.phone, patient.address_line, patient.postal_code, patient.city,
            patient.country) == ("+31 (0)6-1234 5678", "Keizersgracht 12", "1015 CJ",
                                 "Amsterdam", "NL")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contact-details-changed"))
    assert event.patient_id == patient.id and event.actor_id == user.id
    assert event.target == "fields:phone,address_line,postal_code,city,country"
    for value in ("1234", "Keizersgracht", "1015", "Amsterdam"):
        assert value not in event.target
    page = client.get("/account/contact").get_data(as_text=True)
    assert "Your contact details are saved." in page and 'value="Keizersgracht 12"' in page


def test_a_bad_phone_number_is_explained_next_to_the_field_and_nothing_is_stored(
        client, clinic, db):
    user = make_user()
    patient = user.patient
    login_as(client, user)
    response = post_form(client, "/account/contact", _contact(
        patient, phone="call me maybe", city="Utrecht"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="phone-error">.*Enter a phone number', html)
    assert 'href="#phone"' in html  # the error summary links to the field
    assert 'aria-invalid="true"' in html
    db.session.refresh(patient)
    assert patient.phone is None and patient.city is None
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "contact-details-changed")) is None


@pytest.mark.parametrize("phone", ["12345", "1" * 21, "+31 20 123 4567 ext 8", "------"])
def test_phone_numbers_outside_the_rules_are_refused(client, clinic, phone):
    user = make_user()
    login_as(client, user)
    response = post_form(client, "/account/contact", _contact(user.patient, phone=phone))
    assert response.status_code == 422


def test_a_postal_code_that_is_too_long_is_refused(client, clinic, db):
    user = make_user()
    login_as(client, user)
    response = post_form(client, "/account/contact",
                         _contact(user.patient, postal_code="12345678901"))
    assert response.status_code == 422
    assert 'id="postal_code-error"' in response.get_data(as_text=True)


def test_staff_see_their_e_mail_address_and_nothing_to_change(client, clinic):
    staff = make_user(role="front_desk")
    login_as(client, staff)
    html = client.get("/account/contact").get_data(as_text=True)
    assert staff.email in html
    assert 'name="phone"' not in html
    assert post_form(client, "/account/contact", {"phone": "0201234567"},
                     page="/account/").status_code == 404


def test_the_e_mail_address_shows_whether_it_is_confirmed(client, clinic, db):
    from portal.types import utcnow

    user = make_user()
    login_as(client, user)
    html = client.get("/account/contact").get_data(as_text=True)
    assert "Not yet" in html
    assert 'href="/account/email">Change e-mail address</a>' in html
    assert 'action="/account/email/verify-again"' in html
    user.email_verified_at = utcnow()
    db.session.commit()
    html = client.get("/account/contact").get_data(as_text=True)
    assert "Not yet" not in html and 'action="/account/email/verify-again"' not in html
    assert 'href="/account/email"' in html


def test_another_patients_details_are_never_shown(client, clinic, db):
    other = make_patient(phone="+31 6 9999 8888", address_line="Elsewhere 1", city="Leiden")
    make_user(patient=other)
    user = make_user()
    login_as(client, user)
    # Acting for someone else elsewhere in the portal does not change whose details these are.
    with client.session_transaction() as session:
        session["acting_for"] = other.id
    for url in ("/account/", "/account/contact"):
        html = client.get(url).get_data(as_text=True)
        assert "9999" not in html and "Elsewhere" not in html and other.family_name not in html
    post_form(client, "/account/contact", _contact(user.patient, phone="020 123 4567",
                                                   patient_id=str(other.id)))
    db.session.refresh(other)
    assert other.phone == "+31 6 9999 8888"


@pytest.mark.parametrize("url,data", [
    ("/account/contact", {"phone": "020 123 4567"}),
    ("/account/language", {"locale": "nl"}),
    ("/account/notifications", {"messages": "mail"}),
    ("/account/password", {"current_password": "x", "password": "y", "confirm": "y"}),
    ("/account/security/sign-out-others", {}),
    ("/account/security/recovery-codes", {"current_password": "x"}),
])
def test_a_post_without_the_csrf_token_is_refused(client, clinic, db, url, data):
    user = make_user()
    login_as(client, user)
    assert client.post(url, data=data).status_code == 400
    db.session.refresh(user)
    assert user.locale is None and user.patient.phone is None


def test_the_language_is_stored_and_the_next_page_uses_it(client, clinic, db):
    user = make_user()
    login_as(client, user)
    page = client.get("/account/language").get_data(as_text=True)
    assert '<label for="locale-1" lang="nl">Nederlands</label>' in page
    assert '<legend>Language</legend>' in page
    response = post_form(client, "/account/language", {"locale": "nl"})
    assert response.status_code == 303
    assert "lang=nl" in response.headers["Set-Cookie"]
    db.session.refresh(user)
    assert user.locale == "nl"
    assert '<html lang="nl">' in client.get("/account/").get_data(as_text=True)


def test_an_unknown_language_is_refused(client, clinic, db):
    user = make_user()
    login_as(client, user)
    assert post_form(client, "/account/language", {"locale": "xx"}).status_code == 422
    db.session.refresh(user)
    assert user.locale is None


ALL_MAIL = {"messages": "mail", "appointments": "mail", "results": "mail",
            "corrections": "mail", "billing": "mail", "family": "mail"}


def _checked(page: str) -> list[str]:
    """The chosen value of each radio group, in page order."""
    return re.findall(r'<input checked[^>]*value="(\w+)"', page)


def test_notification_choices_are_single_mails_until_changed_and_then_stored(client, clinic, db):
    user = make_user()
    login_as(client, user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert _checked(page) == ["mail"] * 6
    assert "never contain health information" in page
    chosen = {**ALL_MAIL, "appointments": "none", "results": "daily", "family": "daily"}
    response = post_form(client, "/account/notifications", chosen)
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.notifications == chosen
    page = client.get("/account/notifications").get_data(as_text=True)
    assert _checked(page) == ["mail", "none", "daily", "mail", "mail", "daily"]
    missing = {k: v for k, v in chosen.items() if k != "results"}
    response = post_form(client, "/account/notifications", missing)
    assert response.status_code == 422 and "Choose how to hear about this." in response.get_data(
        as_text=True)


def test_yes_and_no_stored_before_the_summary_existed_read_as_mail_and_none(clinic, db):
    from portal.account.services import notification_choices

    user = make_user(notifications={"messages": False, "results": True})
    assert notification_choices(user) == {**ALL_MAIL, "messages": "none"}


def test_a_switched_off_area_offers_no_e_mail_and_keeps_its_choice(client, clinic, db):
    clinic.features = {**clinic.features, "billing": False}
    db.session.commit()
    user = make_user(notifications={"billing": False})
    login_as(client, user)
    assert 'name="billing"' not in client.get("/account/notifications").get_data(as_text=True)
    post_form(client, "/account/notifications",
              {k: v for k, v in ALL_MAIL.items() if k != "billing"})
    db.session.refresh(user)
    assert user.notifications["billing"] == "none" and user.notifications["messages"] == "mail"


def test_htmx_gets_only_the_form_back_with_its_errors(client, clinic):
    user = make_user()
    login_as(client, user)
    response = post_form(client, "/account/contact", _contact(user.patient, phone="x"),
                         headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="contact-details"' in html and "There is a problem" in html
    assert "HX-Request" in response.headers["Vary"]
