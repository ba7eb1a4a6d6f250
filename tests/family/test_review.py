"""Age rules at their boundaries, and `flask portal review-proxies`, which applies them daily.

Birthdays are tested the day before, of and after: at the gate (a proxy's page on the real
today) and in the review (with the day given).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.clinic_setup import save_clinic
from portal.extensions import db
from portal.family.models import ProxyGrant
from portal.family.review import review_proxies
from portal.family.rules import clinic_today
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import login_as, make_user
from tests.family.helpers import child, grant, parent, years_ago

ALL = ["records", "messages"]

#: preset, birthday, status the grant has after the review the day before, of and after
#: (consent: the child's agreement is on record from the start).
BOUNDARIES = [
    ("nl", 12, False, ("active", "pending_consent", "pending_consent")),
    ("nl", 12, True, ("active", "active", "active")),
    ("nl", 16, True, ("active", "ended", "ended")),
    ("pl", 16, False, ("active", "active", "active")),
    ("pl", 18, False, ("active", "ended", "ended")),
]


def _run(app, today=None, dry_run=False):
    with app.test_request_context():
        return review_proxies(today=today, dry_run=dry_run)


@pytest.mark.parametrize("preset,age,consent,expected", BOUNDARIES)
@pytest.mark.parametrize("day", [0, 1, 2], ids=["day-before", "birthday", "day-after"])
def test_the_review_applies_the_age_rule_from_the_birthday(app, clinic, outbox, preset, age,
                                                           consent, expected, day):
    save_clinic(proxy_age_preset=preset)
    mother, son = parent(), child(birth_date=date(2010, 6, 15))
    access = grant(mother, son, ALL, child_consent_at=utcnow() if consent else None)
    birthday = date(2010 + age, 6, 15)
    _run(app, today=birthday + timedelta(days=day - 1))
    db.session.refresh(access)
    assert access.status == expected[day]
    if expected[day] == "ended":
        assert access.ended_reason == "age"
        assert "has reached the age" in outbox.last_body(mother.email)
    elif expected[day] == "pending_consent":
        assert "needs their agreement" in outbox.last_body(mother.email)
    else:
        assert outbox.to(mother.email) == []


@pytest.mark.parametrize("preset,age,consent", [("nl", 12, False), ("nl", 16, True),
                                                ("pl", 18, False)])
@pytest.mark.parametrize("shift,allowed", [(1, True), (0, False), (-1, False)],
                         ids=["day-before", "birthday", "day-after"])
def test_the_gate_applies_the_age_rule_on_the_birthday_itself(client, clinic, preset, age,
                                                              consent, shift, allowed):
    """Without any review having run: `shift` days later born is a day younger."""
    save_clinic(proxy_age_preset=preset)
    mother = parent()
    son = child(birth_date=years_ago(age) + timedelta(days=shift))
    grant(mother, son, ALL, child_consent_at=utcnow() if consent else None)
    login_as(client, mother)
    with client.session_transaction() as session:
        session["acting_for"] = son.id
    assert client.get("/record").status_code == (200 if allowed else 404)


def test_pl_parents_keep_access_from_sixteen_to_eighteen_without_consent(client, clinic):
    save_clinic(proxy_age_preset="pl")
    mother, daughter = parent(), child(given_name="Maja", birth_date=years_ago(17))
    grant(mother, daughter, ALL)
    login_as(client, mother)
    assert "You are viewing Maja" in client.get("/record").get_data(as_text=True)


def test_custom_ages_apply_in_the_review(app, clinic):
    from portal.family.services import set_age_rules

    set_age_rules("custom", (None, 17, 14))
    mother, son = parent(), child(birth_date=date(2010, 6, 15))
    access = grant(mother, son, ALL)
    _run(app, today=date(2027, 6, 14))
    assert db.session.get(ProxyGrant, access.id).status == "active"
    _run(app, today=date(2027, 6, 15))
    assert db.session.get(ProxyGrant, access.id).status == "ended"


def test_an_end_date_ends_the_grant_the_day_after_and_both_sides_are_told(app, clinic, outbox):
    mother = parent(display_name="Anna de Vries", locale="en")
    son = child(birth_date=date(2015, 1, 1))
    son_user = make_user(patient=son, display_name="Daan de Vries", locale="en")
    access = grant(mother, son, ALL, ends_on=date(2026, 3, 31))
    _run(app, today=date(2026, 3, 31))
    assert db.session.get(ProxyGrant, access.id).status == "active"
    counts = _run(app, today=date(2026, 4, 1))
    assert counts == {"ended": 1, "consent": 0, "mails": 2, "failed": 0}
    access = db.session.get(ProxyGrant, access.id)
    assert (access.status, access.ended_reason) == ("ended", "end-date")
    [to_parent] = outbox.to(mother.email)
    assert to_parent["Subject"] == "Your access to a record in the portal has ended"
    body = to_parent.get_content()
    assert "You can no longer act for Daan" in body and "end date" in body
    [to_child] = outbox.to(son_user.email)
    assert "Anna de Vries can no longer act for you" in to_child.get_content()
    for message in (to_parent, to_child):
        text = message.get_content()
        assert son.patient_number not in text and "2015" not in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proxy-ended"))
    assert event.patient_id == son.id and "reason:end-date" in event.target


def test_the_review_is_idempotent(app, clinic, outbox):
    save_clinic(proxy_age_preset="nl")
    mother, son = parent(), child(birth_date=date(2010, 6, 15))
    grant(mother, son, ALL, child_consent_at=utcnow())
    first = _run(app, today=date(2026, 6, 15))
    audit_lines = db.session.scalar(select(func.count(AuditEvent.id)))
    second = _run(app, today=date(2026, 6, 15))
    third = _run(app, today=date(2026, 6, 16))
    assert first["ended"] == 1 and first["mails"] == 1
    assert second == third == {"ended": 0, "consent": 0, "mails": 0, "failed": 0}
    assert len(outbox.to(mother.email)) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_lines


def test_a_failed_mail_keeps_the_change_for_the_next_run(app, clinic, outbox, monkeypatch):
    from portal.family import review

    mother, son = parent(), child()
    access = grant(mother, son, ALL, ends_on=date(2026, 1, 1))

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(review, "send_mail", broken)
    assert _run(app, today=date(2026, 1, 2))["failed"] == 1
    assert db.session.get(ProxyGrant, access.id).status == "active"
    monkeypatch.undo()
    assert _run(app, today=date(2026, 1, 2))["ended"] == 1
    assert db.session.get(ProxyGrant, access.id).status == "ended"
    assert outbox.to(mother.email)


def test_a_dry_run_changes_nothing(app, clinic, outbox):
    mother, son = parent(), child()
    access = grant(mother, son, ALL, ends_on=date(2026, 1, 1))
    assert _run(app, today=date(2026, 1, 2), dry_run=True)["ended"] == 1
    assert db.session.get(ProxyGrant, access.id).status == "active"
    assert outbox.messages() == []


def test_an_unaccepted_invitation_past_its_end_ends_without_mail(app, clinic, outbox):
    mother, son = parent(), child(birth_date=date(1980, 1, 1))
    access = grant(mother, son, ALL, status="invited", invited_by_patient=True,
                   relationship="partner", ends_on=date(2026, 1, 1))
    assert _run(app, today=date(2026, 1, 2))["ended"] == 1
    assert db.session.get(ProxyGrant, access.id).status == "ended"
    assert outbox.messages() == []


def test_an_adult_s_own_choice_is_not_ended_by_age_rules(app, clinic):
    mother = parent()
    adult = child(birth_date=date(1990, 1, 1))
    access = grant(mother, adult, ALL, invited_by_patient=True, relationship="carer")
    assert _run(app, today=date(2026, 6, 1))["ended"] == 0
    assert db.session.get(ProxyGrant, access.id).status == "active"


def test_the_command_runs_from_cron_and_explains_itself(app, clinic, outbox):
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["portal", "review-proxies", "--help"]).output
    for words in ("age rules", "end date", "cron", "--dry-run", "again changes nothing"):
        assert words in " ".join(help_text.split()), words
    mother, son = parent(), child()
    grant(mother, son, ALL, ends_on=clinic_today() - timedelta(days=1))
    result = runner.invoke(args=["portal", "review-proxies"])
    assert result.exit_code == 0, result.output
    assert "access ended: 1" in result.output and "e-mails sent: 1" in result.output
    again = runner.invoke(args=["portal", "review-proxies"])
    assert "access ended: 0" in again.output


def test_the_command_exits_with_1_when_a_mail_fails(app, clinic, monkeypatch):
    from portal.family import review

    monkeypatch.setattr(review, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    mother, son = parent(), child()
    grant(mother, son, ALL, ends_on=clinic_today() - timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["portal", "review-proxies"])
    assert result.exit_code == 1
    assert "failed: 1" in result.output


def test_staff_record_the_childs_agreement_and_access_returns(app, client, clinic):
    save_clinic(proxy_age_preset="nl")
    mother, son = parent(), child(birth_date=years_ago(13))
    access = grant(mother, son, ALL)
    _run(app)
    assert db.session.get(ProxyGrant, access.id).status == "pending_consent"
    login_as(client, mother)
    with client.session_transaction() as session:
        session["acting_for"] = son.id
    assert client.get("/record").status_code == 404
    from tests.conftest import post_form

    desk = app.test_client()
    login_as(desk, make_user(role="front_desk"))
    page = f"/staff/family/patients/{son.id}"
    assert "Waits for the child" in desk.get(page).get_data(as_text=True)
    assert post_form(desk, f"/staff/family/grants/{access.id}/consent", {},
                     page=page).status_code == 303
    assert db.session.get(ProxyGrant, access.id).status == "active"
    assert client.get("/record").status_code == 200


def test_the_administrator_chooses_the_age_rules(app, clinic):
    from portal.family.rules import ages
    from portal.models import ClinicSettings

    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "init-clinic", "--proxy-age-rules", "pl"])
    assert result.exit_code == 0, result.output
    assert ages(db.session.scalar(select(ClinicSettings))) == (None, 18, 16)
    result = runner.invoke(args=["portal", "init-clinic", "--proxy-age-rules", "custom",
                                 "--proxy-ages", "-,17,14"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert ages(db.session.scalar(select(ClinicSettings))) == (None, 17, 14)
    bad = runner.invoke(args=["portal", "init-clinic", "--proxy-age-rules", "custom",
                              "--proxy-ages", "16,12,12"])
    assert bad.exit_code == 2 and "--proxy-ages" in bad.output
