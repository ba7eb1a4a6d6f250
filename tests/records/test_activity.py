"""Who looked at my record: the audit trail of the record, as the patient reads it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from babel.dates import format_datetime
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import count_queries, login_as, make_patient, make_user

ACTIVITY = "/record/activity"


def _rows(page: str) -> list[str]:
    """The table's body rows as text, tags removed."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def test_a_staff_view_shows_in_the_patients_language(app, client, clinic):
    me = make_user(locale="pl")
    clinician = make_user(role="clinician", display_name="Dr Anna Wiśniewska")
    staff = app.test_client()
    login_as(staff, clinician)
    assert staff.get(f"/staff/patients/{me.patient.id}/record/documents").status_code == 200
    viewed = _db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "record-viewed", AuditEvent.actor_id == clinician.id))

    login_as(client, me)
    page = client.get(ACTIVITY).get_data(as_text=True)
    assert '<html lang="pl">' in page and page.count("<h1") == 1
    with app.test_request_context():
        with force_locale("pl"):
            role = _("Clinician")
            when = format_datetime(viewed.occurred_at, "medium", tzinfo=clinic.timezone,
                                   locale="pl")
    assert role != "Clinician"  # the Polish catalog has it
    [row] = _rows(page)
    assert row.startswith(when)
    assert f"Dr Anna Wiśniewska ({role})" in row
    assert "Wyświetlenie listy dokumentów" in row  # "Looked at the list of documents"
    assert '<th scope="col">' in page and "<caption" in page


def test_own_page_views_and_sign_ins_are_left_out_but_own_downloads_shown(client, clinic):
    me = make_user()
    login_as(client, me)  # a sign-in line
    client.get("/record/documents")  # the patient's own view
    client.get("/record/download", query_string={"format": "text", "scope": "period",
                                                 "from_date": "2024-01-01"})
    page = client.get(ACTIVITY).get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 1
    assert "You" in rows[0] and "Opened the record as plain text" in rows[0]
    assert "Only from 1 January 2024 on" in rows[0]
    assert "Signed in" not in page and "Looked at the list of documents" not in page


def test_imports_releases_and_refusals_by_others_are_shown_newest_first(client, clinic):
    me = make_user()
    other = make_patient()
    clinician = make_user(role="clinician", display_name="Dr Pieter Jansen")
    billing = make_user(role="billing", display_name="Thomas Reed")
    start = utcnow() - timedelta(hours=5)
    for hours, actor, action, patient, target in [
        (1, None, "record-imported", me.patient, "file:x.json; new:3 changed:0"),
        (2, clinician, "results-released", me.patient, "report:4; results:3"),
        (3, billing, "denied:records", me.patient, "GET /staff/patients/1/record"),
        (4, clinician, "record-viewed", other, "overview"),  # another patient's record
        (4, clinician, "contact-details-changed", me.patient, None),  # not a record event
    ]:
        _db.session.add(AuditEvent(occurred_at=start + timedelta(hours=hours),
                                   actor_id=actor.id if actor else None, action=action,
                                   patient_id=patient.id, target=target))
    _db.session.commit()
    login_as(client, me)
    rows = _rows(client.get(ACTIVITY).get_data(as_text=True))
    assert len(rows) == 3
    assert "Thomas Reed (Billing)" in rows[0] and "was refused" in rows[0]
    assert "Dr Pieter Jansen (Clinician)" in rows[1] and "Released results" in rows[1]
    assert "The clinic's system" in rows[2] and "Updated the record" in rows[2]


def test_the_trail_is_paginated(client, clinic):
    me = make_user()
    clinician = make_user(role="clinician")
    start = utcnow() - timedelta(days=30)
    _db.session.add_all(AuditEvent(occurred_at=start + timedelta(hours=i), actor_id=clinician.id,
                                   action="record-viewed", patient_id=me.patient.id,
                                   target=f"result:{i}") for i in range(25))
    _db.session.commit()
    login_as(client, me)
    first = client.get(ACTIVITY).get_data(as_text=True)
    assert len(_rows(first)) == 20 and "Page 1 of 2" in first
    assert 'href="/record/activity?page=2"' in first
    assert len(_rows(client.get(ACTIVITY + "?page=2").get_data(as_text=True))) == 5


def test_staff_have_no_activity_page(client, clinic):
    login_as(client, make_user(role="admin"))
    assert client.get(ACTIVITY).status_code == 404


def test_the_page_costs_the_same_queries_for_5_or_200_lines(app, clinic):
    counts = {}
    for n in (5, 200):
        me = make_user()
        staff = [make_user(role="clinician") for _ in range(3)]
        start = utcnow() - timedelta(days=30)
        _db.session.add_all(AuditEvent(occurred_at=start + timedelta(minutes=i),
                                       actor_id=staff[i % 3].id, action="record-viewed",
                                       patient_id=me.patient.id, target="overview")
                            for i in range(n))
        _db.session.commit()
        client = app.test_client()
        login_as(client, me)
        with count_queries() as queries:
            page = client.get(ACTIVITY).get_data(as_text=True)
        counts[n] = queries()
        assert len(_rows(page)) == min(n, 20)
    assert counts[5] == counts[200]
