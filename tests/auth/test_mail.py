"""Mail: delivered over real SMTP in the recipient's language, never with health data."""

from __future__ import annotations

import socket
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from babel.dates import format_date, format_datetime
from babel.support import Translations

from portal.extensions import db
from portal.mail import render_mail, send_mail
from portal.types import utcnow
from tests.conftest import make_patient, make_user, post_form, send_outbox

ROOT = Path(__file__).resolve().parents[2]
MAIL_TEMPLATES = sorted(p.stem for p in (ROOT / "templates" / "mail").glob("*.txt"))
LOCKED_SUBJECT = "Your portal account is locked for now"


class Collector:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self):
        return [message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on loopback, with the portal pointed at it for one test."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    try:
        yield collector
    finally:
        controller.stop()


def _translated(lang: str, message: str) -> str:
    """`message` as the compiled catalog for `lang` has it (the English if not yet there)."""
    catalog = Translations.load(str(ROOT / "translations"), [lang])
    return catalog.gettext(message)


def test_a_reset_mail_goes_out_over_smtp(client, clinic, smtp_server, outbox):
    user = make_user()
    response = post_form(client, "/forgot-password", {"identifier": user.username})
    assert response.status_code == 303
    assert smtp_server.envelopes == []  # the page only stored it
    assert send_outbox()["sent"] == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [user.email]
    [message] = smtp_server.messages()
    assert message["To"] == user.email
    assert message["Subject"] == "Choose a new password for the portal"
    assert "/reset-password/" in message.get_content()
    assert outbox.messages() == []  # with SMTP set, nothing goes to the folder


@pytest.mark.parametrize("lang,format_locale", [("en", "en_GB"), ("nl", "nl"), ("pl", "pl")])
def test_mail_is_in_the_recipients_language(app, clinic, smtp_server, lang, format_locale):
    user = make_user(locale=lang)
    until = utcnow() + timedelta(minutes=15)
    send_mail(user.email, "account_locked", user.locale, user=user, until=until)
    db.session.commit()
    send_outbox()
    [message] = smtp_server.messages()
    assert message["To"] == user.email
    assert message["Subject"] == _translated(lang, LOCKED_SUBJECT)
    if lang == "en":
        assert message["Subject"] == LOCKED_SUBJECT
    # dates are written the reader's way, whatever the catalog holds yet
    written = format_datetime(until, "short", tzinfo=ZoneInfo(clinic.timezone),
                              locale=format_locale)
    assert written in message.get_content()


def _patient_user():
    patient = make_patient(patient_number="P-424242", given_name="Zofia", family_name="Kowalska",
                           birth_date=date(1957, 3, 14), phone="+31 6 9876 5432",
                           address_line="Lindengracht 77", postal_code="1015 KK",
                           city="Utrecht")
    return patient, make_user(patient=patient, display_name="Zofia Kowalska",
                              username="zkowalska", email="zofia@mail.example")


def _record_words(patient) -> list[str]:
    """What an e-mail must never show: the record's details in any common form."""
    born = patient.birth_date
    words = [patient.patient_number, patient.address_line, patient.postal_code, patient.city,
             patient.phone, born.isoformat(), born.strftime("%d-%m-%Y"),
             born.strftime("%d/%m/%Y"), born.strftime("%d.%m.%Y"), born.strftime("%m/%d/%Y")]
    for locale in ("en_GB", "en_US", "nl", "pl"):
        words += [format_date(born, fmt, locale=locale) for fmt in ("short", "medium", "long")]
    return words


def test_every_mail_template_is_known_to_this_test():
    """A new mail template is checked below without anyone adding it here."""
    assert {"reset_password", "password_changed", "username_reminder",
            "email_change_requested"} <= set(MAIL_TEMPLATES)


@pytest.mark.parametrize("lang", ["en", "nl", "pl"])
@pytest.mark.parametrize("template", MAIL_TEMPLATES)
def test_no_mail_contains_the_patients_record(app, clinic, template, lang):
    patient, user = _patient_user()
    context = dict(clinic=clinic, user=user, patient=patient, link="https://portal.example/x",
                   portal_url="https://portal.example", code="123456", grouped_code="ACDE-FGHJ",
                   minutes=30, hours=72, days=28, until=utcnow(), when=utcnow(),
                   moved_from=utcnow(),
                   last_day=date(2030, 1, 1), type_names={"en": "Check-up", "nl": "Controle"},
                   practitioner="Dr. Jansen", place="Room 2", address="Lindengracht 21")
    subject, body = render_mail(template, lang, **context)
    text = f"{subject}\n{body}"
    found = [word for word in _record_words(patient) if word in text]
    assert not found, f"{template} ({lang}) shows {found}"
    assert "Zofia" in text  # the name is what a mail greets with
