"""Notifications for every kind: only "something new is waiting", in the reader's language,
with a link; as a single mail, in the daily summary, or not at all, as each person chose.

Each event is caused the way the portal causes it (a clinician's reply, a release, a
decision), with health words in what it is about; the test then reads the sent mails.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from portal.account.models import PendingNotice
from portal.account.notify import EVENTS, send_daily_summaries
from portal.extensions import db
from portal.family.rules import clinic_today
from portal.records.models import RecordItem
from tests.conftest import make_user
from tests.family.helpers import grant, parent
from tests.messages.conftest import make_team
from tests.records.test_views import add_item

#: Words of the things the events are about: none may appear in any mail.
#: The value is looked for with its words ("was 94", "94 mg"): a bare "94" would also be
#: found in a test patient's name ("Anna Test94").
HEALTH_WORDS = ("Glucose", "was 94", "94 mg", "mg/dL", "diabetes", "Diabetes", "HbA1c",
                "Penicillin", "Metformin", "passport", "40.00", "Knee")


def _release(item: RecordItem, staff) -> None:
    try:  # the release service lives with the record area
        from portal.records.release import release
    except ImportError:  # pragma: no cover - before the move
        from portal.staff.services_results import release
    release(item, staff, "Your diabetes is confirmed")


def _new_message(patient, staff):
    from portal.messages.services import reply, start_thread

    team = make_team("Doctors", "A question", staff)
    thread = start_thread(patient, patient.account, team.id, "My diabetes",
                          "My glucose was 94 mg/dL")
    reply(thread, staff, "Your HbA1c shows diabetes; start Metformin.")


def _prescription_decided(patient, staff):
    from portal.messages import notify

    notify.prescription_decided(patient)
    db.session.commit()


def _form_request(patient, staff):
    from portal.questionnaires import notify

    notify.form_requested(patient)


def _statement(patient, staff):
    from portal.billing.ledger import LineInput, post_statement
    from portal.billing.notify import new_statement

    post_statement(patient, [LineInput(date(2026, 11, 2), "Diabetes consultation",
                                       Decimal("40.00"))], actor=staff, commit=False)
    new_statement(patient)


def _plan_decided(patient, staff):
    from portal.billing.ledger import LineInput, post_statement
    from portal.billing.models import PaymentPlan
    from portal.billing.plans import decide

    statement = post_statement(patient, [LineInput(date(2026, 11, 2), "Diabetes consultation",
                                                   Decimal("40.00"))], actor=staff)
    plan = PaymentPlan(patient_id=patient.id, statement_id=statement.id, instalments=3)
    db.session.add(plan)
    db.session.commit()
    decide(plan, staff, approve=False, note="Not for the diabetes consultation")


def _result_released(patient, staff):
    item = add_item(patient, title="Glucose", released_at=None)
    _release(item, staff)


def _correction_decided(patient, staff):
    from portal.corrections import services

    item = add_item(patient, "allergy", title="Penicillin")
    asked = services.ask(patient, patient.account, item, "not-mine", "Knee", clinic_today())
    services.decline(asked, staff, "The diabetes clinic letter confirms it.")


def _family_request_decided(patient, staff):
    from portal.family import services

    requester = patient.account
    request = services.ask(requester, given_name="Daan", family_name="de Vries",
                           birth_date=date(2018, 1, 1), relationship="parent",
                           note="Knee surgery soon")
    services.decline(request, staff, "The passport did not match.")


TRIGGERS = {
    "new_message": _new_message,
    "prescription_decided": _prescription_decided,
    "form_request": _form_request,
    "billing_new_statement": _statement,
    "billing_plan_decided": _plan_decided,
    "result_released": _result_released,
    "correction_decided": _correction_decided,
    "family_request_decided": _family_request_decided,
}


@pytest.fixture(autouse=True)
def in_a_request(app):
    """The events happen inside a request (a clinician's click), as in the portal."""
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        yield


def test_every_event_has_a_trigger_here():
    assert set(TRIGGERS) == set(EVENTS)


@pytest.fixture
def people(clinic):
    """A patient (Dutch), a carer acting for her with every permission, a clinician (admin,
    who may also post statements)."""
    patient_user = make_user(locale="nl")
    carer = parent(display_name="Ben Carer", locale="pl")
    grant(carer, patient_user.patient, ["records", "messages", "appointments", "billing",
                                        "account"], status="active", relationship="carer")
    return patient_user, carer, make_user("admin", locale="en")


def _assert_no_health_data(mails) -> None:
    for mail in mails:
        text = mail["Subject"] + "\n" + mail.get_content()
        found = [word for word in HEALTH_WORDS if word in text]
        assert not found, f"{found} in a mail to {mail['To']}:\n{text}"


@pytest.mark.parametrize("event", list(TRIGGERS))
def test_a_single_mail_says_only_that_something_waits(event, people, outbox):
    patient_user, carer, staff = people
    TRIGGERS[event](patient_user.patient, staff)
    mails = [m for m in outbox.messages() if m["To"] in (patient_user.email, carer.email)]
    assert mails, f"no mail for {event}"
    _assert_no_health_data(mails)
    link = EVENTS[event].endpoint
    for mail in mails:
        assert "http://" in mail.get_content() or "https://" in mail.get_content(), link
    # In the reader's language: the patient reads Dutch, the carer Polish.
    for user, lang in ((patient_user, "nl"), (carer, "pl")):
        for mail in (m for m in mails if m["To"] == user.email):
            assert _greeting(user, lang) in mail.get_content()


def _greeting(user, lang: str) -> str:
    from flask_babel import force_locale, gettext

    with force_locale(lang):
        return gettext("Hello %(name)s,", name=user.display_name)


@pytest.mark.parametrize("event", list(TRIGGERS))
def test_none_sends_nothing_and_daily_waits_for_the_summary(event, people, outbox):
    patient_user, carer, staff = people
    kind = EVENTS[event].kind
    patient_user.notifications = {kind: "daily"}
    carer.notifications = {kind: "none"}
    db.session.commit()
    TRIGGERS[event](patient_user.patient, staff)
    mails = [m for m in outbox.messages() if m["To"] in (patient_user.email, carer.email)]
    assert mails == []
    waiting = db.session.scalars(select(PendingNotice)).all()
    assert [(n.user_id, n.event) for n in waiting] == [(patient_user.id, event)]

    assert send_daily_summaries() == {"sent": 1, "skipped": 0}
    summary = outbox.to(patient_user.email)
    assert len(summary) == 1
    _assert_no_health_data(summary)
    assert "1 " in summary[0].get_content()
    # Once only: a second run (or a run after a crash) finds nothing left.
    assert send_daily_summaries() == {"sent": 0, "skipped": 0}
    assert len(outbox.to(patient_user.email)) == 1


def test_the_summary_counts_per_kind_and_person_in_the_readers_language(people, outbox):
    patient_user, carer, staff = people
    carer.notifications = {"messages": "daily", "results": "daily"}
    patient_user.notifications = {"messages": "none", "results": "none"}
    db.session.commit()
    _new_message(patient_user.patient, staff)
    _result_released(patient_user.patient, staff)
    _result_released(patient_user.patient, staff)
    assert outbox.messages() == []
    runner = CliRunner()
    from flask import current_app

    result = runner.invoke(current_app.cli, ["portal", "send-daily-summary"])
    assert result.exit_code == 0 and "Daily summaries: 1" in result.output
    body = outbox.last_body(carer.email)
    _assert_no_health_data(outbox.to(carer.email))
    # Polish: one message, two results, each about the patient the carer acts for.
    assert "1 nowa wiadomość" in body and "2 nowe wyniki" in body
    assert patient_user.patient.given_name in body
    assert "/messages" in body and "/record/results" in body


def test_a_kind_switched_off_after_it_was_queued_is_left_out(people, outbox):
    patient_user, carer, staff = people
    patient_user.notifications = {"results": "daily"}
    db.session.commit()
    _result_released(patient_user.patient, staff)
    patient_user.notifications = {"results": "none"}
    db.session.commit()
    assert send_daily_summaries() == {"sent": 0, "skipped": 1}
    assert outbox.to(patient_user.email) == []


def test_a_confidential_result_is_not_announced_to_those_acting_for_the_patient(people,
                                                                                outbox):
    patient_user, carer, staff = people
    item = add_item(patient_user.patient, title="Glucose", released_at=None, confidential=True)
    _release(item, staff)
    assert outbox.to(patient_user.email) and not outbox.to(carer.email)
