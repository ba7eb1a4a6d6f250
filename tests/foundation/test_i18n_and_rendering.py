"""Language choice, locale formatting and the full-page-or-fragment helper."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal import i18n
from tests.conftest import login_as, make_user


def _lang(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_language_follows_accept_language_when_nothing_else_is_known(client, clinic):
    assert _lang(client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9"})) == "pl"
    assert _lang(client.get("/", headers={"Accept-Language": "nl-BE"})) == "nl"
    assert _lang(client.get("/", headers={"Accept-Language": "de"})) == "en"


def test_clinic_default_language_when_the_browser_asks_for_none(client, clinic, db):
    clinic.default_locale = "nl"
    db.session.commit()
    assert _lang(client.get("/")) == "nl"


def test_the_cookie_beats_accept_language(client, clinic):
    client.set_cookie("lang", "nl")
    assert _lang(client.get("/", headers={"Accept-Language": "pl"})) == "nl"


def test_language_switch_is_a_plain_link_that_returns_to_the_page(client, clinic):
    response = client.get("/language/pl?next=/help/questions")
    assert response.status_code == 303
    assert response.headers["Location"] == "/help/questions"
    assert "lang=pl" in response.headers["Set-Cookie"]
    assert _lang(client.get("/help/questions")) == "pl"


def test_language_switch_refuses_foreign_next_and_unknown_languages(client, clinic):
    assert client.get("/language/pl?next=//evil.example").headers["Location"] == "/"
    response = client.get("/language/xx?next=/")
    assert "Set-Cookie" not in response.headers


def test_the_accounts_choice_beats_the_cookie_and_is_stored(client, clinic, db):
    user = make_user(locale="pl")
    login_as(client, user)
    client.set_cookie("lang", "nl")
    assert _lang(client.get("/home")) == "pl"
    client.get("/language/nl?next=/home")
    db.session.refresh(user)
    assert user.locale == "nl"
    assert _lang(client.get("/home")) == "nl"


def test_every_page_offers_all_three_languages(client, clinic):
    page = client.get("/").get_data(as_text=True)
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("pl", "Polski")):
        assert f'lang="{code}" hreflang="{code}"' in page and name in page


@pytest.mark.parametrize("locale,expected_date,expected_money", [
    ("en", "3 March 2026", "€1,234.50"),
    ("nl", "3 maart 2026", "€\xa01.234,50"),
    ("pl", "3 marca 2026", "1\xa0234,50\xa0€"),
])
def test_dates_and_money_follow_the_readers_locale(app, clinic, locale, expected_date,
                                                   expected_money):
    with app.test_request_context("/", headers={"Accept-Language": locale}):
        assert i18n.fmt_date(date(2026, 3, 3)) == expected_date
        assert i18n.fmt_money(Decimal("1234.50")) == expected_money


def test_times_are_shown_in_the_clinics_time_zone(app, clinic):
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        # 23:30 UTC on 31 March is already 1 April, 01:30 in Amsterdam (summer time)
        shown = i18n.fmt_datetime(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "short")
        assert "01:30" in shown and "01-04-2026" in shown


def test_numbers_round_to_sensible_precision(app, clinic):
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        assert i18n.fmt_number(94.03117346500946, 1) == "94,0"


@pytest.mark.parametrize(("locale", "shown"), [
    ("en", ["12,345.68", "12,346", "0.5", "12,345.678"]),
    ("nl", ["12.345,68", "12.346", "0,5", "12.345,678"]),
    ("pl", ["12\u00a0345,68", "12\u00a0346", "0,5", "12\u00a0345,678"]),
])
def test_numbers_use_the_readers_separators_whatever_was_shown_before(app, clinic, locale,
                                                                      shown):
    """The number patterns are kept between requests: each language still gets its own."""
    with app.test_request_context("/"):
        for language in ("en", "nl", "pl", locale):
            with force_locale(language):
                numbers = [i18n.fmt_number(Decimal("12345.678"), 2),
                           i18n.fmt_number(Decimal("12345.678"), 0),
                           i18n.fmt_number(Decimal("0.5")),
                           i18n.fmt_number(Decimal("12345.678"))]
    assert numbers == shown


def test_htmx_request_gets_only_the_named_block(client, clinic):
    login_as(client, make_user(role="front_desk"))
    full = client.get("/staff/patients")
    fragment = client.get("/staff/patients", headers={"HX-Request": "true"})
    assert b"<html" in full.data and b"<html" not in fragment.data
    assert b"patient" in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_boosted_and_history_restore_requests_get_the_full_page(client, clinic, header):
    login_as(client, make_user(role="front_desk"))
    response = client.get("/staff/patients", headers={"HX-Request": "true", header: "true"})
    assert b"<html" in response.data


def test_language_links_return_to_this_page_with_its_query(app, clinic):
    from flask import url_for

    from portal.templating import language_links

    here = "/record/results?page=2&q=ż b"
    with app.test_request_context(here):
        links = language_links()
        assert [link["url"] for link in links] == [
            url_for("help.set_language", code=code, next=here) for code in ("en", "nl", "pl")]
    assert links[1]["url"] == "/language/nl?next=/record/results?page%3D2%26q%3D%C5%BC+b"
