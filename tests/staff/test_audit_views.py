"""The audit trail for the clinic: each patient's lines on the staff pages, the
administrators' search across the trail, and the line a restore writes of its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import insert, select

from portal.audit import Action
from portal.extensions import db as _db
from portal.models import AuditEvent
from tests.conftest import count_queries, login_as, make_patient, make_user


def _line(action: Action, *, patient=None, actor=None, outcome="success", target=None,
          at: datetime | None = None, remote_addr="198.51.100.7") -> dict:
    return {"action": action.value, "outcome": outcome, "target": target,
            "patient_id": patient.id if patient is not None else None,
            "actor_id": actor.id if actor is not None else None,
            "occurred_at": at or datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            "remote_addr": remote_addr, "user_agent": None}


def _store(*lines: dict) -> None:
    _db.session.execute(insert(AuditEvent), list(lines))
    _db.session.commit()


def _rows(html: str) -> list[str]:
    """The text of each body row of the page's audit table(s)."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", html, re.S))
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _lines_since(mark: int) -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(AuditEvent.id > mark)
                                    .order_by(AuditEvent.id)))


def _mark() -> int:
    return max([0, *_db.session.scalars(select(AuditEvent.id))])


@pytest.fixture
def trail(clinic):
    """Two patients, a clinician and a front-desk member with lines of their own."""
    anna = make_patient(given_name="Anna", family_name="Visser", patient_number="P-200001")
    piotr = make_patient(given_name="Piotr", family_name="Nowak", patient_number="P-200002")
    doctor = make_user(role="clinician", display_name="Dr. Jansen")
    desk = make_user(role="front_desk", display_name="Desk Bakker")
    _store(
        _line(Action.RECORD_VIEWED, patient=anna, actor=doctor, target="result:12",
              at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        _line(Action.DENIED_RECORDS, patient=anna, actor=desk, outcome="denied",
              at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),
        _line(Action.RECORD_IMPORTED, patient=anna, target="import",
              at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC)),  # 23 November in Amsterdam
        _line(Action.SECOND_FACTOR_RESET, patient=piotr, actor=desk,
              target="user:9; identity checked; reason: lost phone at the hospital",
              at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
    )
    return {"anna": anna, "piotr": piotr, "doctor": doctor, "desk": desk}


# -- the patient's page and its full list ------------------------------------------------


def test_the_patient_page_shows_the_latest_lines_with_who_what_outcome_and_address(
        client, trail):
    clinician = make_user(role="clinician", display_name="Dr. Reader")
    login_as(client, clinician)
    page = client.get(f"/staff/patients/{trail['anna'].id}").get_data(as_text=True)
    assert "Who did what with this record" in page
    rows = _rows(page)
    # Newest first: the clinic's system, the refusal, the clinician's look at a result.
    assert "The clinic's system" in rows[0] and "Updated the record from the clinic's system" \
        in rows[0]
    assert "23 Nov 2026, 00:30" in rows[0]  # 23:30 UTC is the next day in the clinic's time zone
    assert "Desk Bakker (Front desk)" in rows[1] and "Refused" in rows[1]
    assert '<strong class="new">Refused</strong>' in page  # a refusal stands out
    assert "Dr. Jansen (Clinician)" in rows[2] and "Looked at the record" in rows[2]
    assert "result:12" in rows[2] and "198.51.100.7" in rows[2]
    assert f'href="/staff/patients/{trail["anna"].id}/audit"' in page


def test_the_full_list_is_paged_and_itself_on_record(client, trail, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    admin = make_user(role="admin")
    login_as(client, admin)
    mark = _mark()
    first = client.get(f"/staff/patients/{trail['anna'].id}/audit")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert len(_rows(html)) == 2 and "Page 1 of 2" in html
    lines = _lines_since(mark)
    assert [(line.action, line.patient_id, line.actor_id) for line in lines] == [
        ("audit-viewed", trail["anna"].id, admin.id)]
    second = client.get(f"/staff/patients/{trail['anna'].id}/audit?page=2")
    rows = _rows(second.get_data(as_text=True))
    # The third of Anna's lines, and the line of the first page's reading, newest first.
    assert len(rows) == 2 and "Looked at the record" in rows[1]


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_roles_that_may_not_read_the_record_may_not_read_its_trail(client, trail, role):
    user = make_user(role=role)
    login_as(client, user)
    page = client.get(f"/staff/patients/{trail['anna'].id}").get_data(as_text=True) \
        if role == "front_desk" else ""
    assert "Who did what with this record" not in page
    mark = _mark()
    assert client.get(f"/staff/patients/{trail['anna'].id}/audit").status_code == 404
    assert [(line.action, line.outcome, line.actor_id) for line in _lines_since(mark)] == [
        ("denied:staff", "denied", user.id)]


def test_a_patient_is_refused_the_staff_audit_pages(client, trail):
    patient_user = make_user(patient=trail["anna"])
    login_as(client, patient_user)
    mark = _mark()
    assert client.get(f"/staff/patients/{trail['anna'].id}/audit").status_code == 404
    assert client.get("/staff/audit").status_code == 404
    assert {line.outcome for line in _lines_since(mark)} == {"denied"}


def test_the_free_text_reason_of_a_reset_is_never_shown(client, trail):
    login_as(client, make_user(role="admin"))
    page = client.get(f"/staff/patients/{trail['piotr'].id}/audit").get_data(as_text=True)
    assert "user:9; identity checked" in page
    assert "lost phone" not in page and "hospital" not in page


# -- the administrators' search -------------------------------------------------------------


def test_only_administrators_search_the_trail(client, trail):
    login_as(client, trail["doctor"])
    mark = _mark()
    assert client.get("/staff/audit").status_code == 404
    assert [line.action for line in _lines_since(mark)] == ["denied:staff"]
    menu = client.get(f"/staff/patients/{trail['anna'].id}").get_data(as_text=True)
    assert 'href="/staff/audit"' not in menu


def test_the_search_is_in_the_admin_menu_and_lists_every_line(client, trail):
    login_as(client, make_user(role="admin"))
    response = client.get("/staff/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="/staff/audit"' in html
    assert "P-200001" in html and "P-200002" in html
    assert len([row for row in _rows(html) if "P-2000" in row]) == 4


@pytest.mark.parametrize(("query", "expected"), [
    ({"patient": "P-200002"}, ["Reset the second sign-in step"]),
    ({"patient": "Visser"}, ["Updated the record", "Tried to open the record",
                             "Looked at the record"]),
    ({"action": "record-imported"}, ["Updated the record"]),
    ({"outcome": "denied"}, ["Tried to open the record"]),
    ({"from_date": "2026-11-23", "to_date": "2026-11-23"},
     ["Reset the second sign-in step", "Updated the record"]),
    ({"to_date": "2026-11-20"}, ["Looked at the record"]),
])
def test_each_filter_narrows_the_lines(client, trail, query, expected):
    login_as(client, make_user(role="admin"))
    html = client.get("/staff/audit", query_string=query).get_data(as_text=True)
    rows = [row for row in _rows(html) if "P-2000" in row]
    assert len(rows) == len(expected), rows
    for row, what in zip(rows, expected, strict=True):
        assert what in row


def test_the_staff_member_filter_narrows_to_their_lines(client, trail):
    login_as(client, make_user(role="admin"))
    html = client.get("/staff/audit", query_string={"actor": trail["desk"].id}) \
        .get_data(as_text=True)
    assert f'<option selected value="{trail["desk"].id}">Desk Bakker' in html
    rows = _rows(html)
    assert len(rows) == 2 and all("Desk Bakker" in row for row in rows)


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"from_date": "2026-13-45"}, "from_date", "Enter a real date"),
    ({"to_date": "yesterday"}, "to_date", "Enter a real date"),
    ({"from_date": "2026-11-23", "to_date": "2026-11-20"}, "to_date",
     "The last day must be the same as or after the first day."),
    ({"patient": "Nobody-Such"}, "patient", "No patient matches."),
    ({"actor": "99999"}, "actor", "Not a valid choice"),
])
def test_bad_input_gets_a_message_next_to_the_field(client, trail, query, field, message):
    login_as(client, make_user(role="admin"))
    response = client.get("/staff/audit", query_string=query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert "P-200001" not in html  # no lines shown for a search that could not be run


def test_a_bad_date_is_explained_in_dutch(client, trail):
    login_as(client, make_user(role="admin"))
    client.get("/language/nl")
    html = client.get("/staff/audit?from_date=31-31-2026").get_data(as_text=True)
    error = re.search(r'id="from_date-error">(.*?)</p>', html, re.S)
    assert error and "Enter a real date" not in error.group(1)


def test_several_patients_matching_ask_for_the_patient_id(client, trail):
    make_patient(given_name="Anna", family_name="Visser-Smit")
    login_as(client, make_user(role="admin"))
    html = client.get("/staff/audit?patient=Visser").get_data(as_text=True)
    error = re.search(r'id="patient-error">(.*?)</p>', html, re.S)
    assert error and "Patients matching: 2." in error.group(1)


def test_the_search_is_on_record_with_each_patient_it_lists(client, trail):
    admin = make_user(role="admin")
    login_as(client, admin)
    mark = _mark()
    client.get("/staff/audit", query_string={"outcome": "success",
                                             "from_date": "2026-11-20"})
    lines = _lines_since(mark)
    assert {line.action for line in lines} == {"audit-viewed"}
    assert {line.patient_id for line in lines} == {trail["anna"].id, trail["piotr"].id}
    assert all(line.actor_id == admin.id for line in lines)
    assert "outcome:success" in lines[0].target and "from:2026-11-20" in lines[0].target


def test_the_search_pages_keep_the_filters(client, trail, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    login_as(client, make_user(role="admin"))
    html = client.get("/staff/audit?patient=P-200001").get_data(as_text=True)
    assert "Page 1 of 3" in html
    assert 'href="/staff/audit?page=2&amp;patient=P-200001"' in html
    second = client.get("/staff/audit?patient=P-200001&page=2").get_data(as_text=True)
    # The first search is on Anna's trail now: it is page 1, so page 2 is the import.
    assert "Page 2 of 4" in second and "Updated the record" in _rows(second)[0]


def test_htmx_gets_the_search_block_alone(client, trail):
    login_as(client, make_user(role="admin"))
    html = client.get("/staff/audit?outcome=denied",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and 'id="outcome"' in html
    assert "Tried to open the record" in html


# -- a fixed number of queries ---------------------------------------------------------------


def _many(patient, actor, count: int) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    _store(*[_line(Action.RECORD_VIEWED, patient=patient, actor=actor,
                   at=start + timedelta(minutes=n)) for n in range(count)])


@pytest.mark.parametrize("url", ["/staff/patients/{id}", "/staff/patients/{id}/audit",
                                 "/staff/audit"])
def test_the_pages_cost_the_same_for_5_lines_as_for_500(client, clinic, url):
    admin = make_user(role="admin")
    login_as(client, admin)
    counts = []
    for lines in (5, 500):
        patient = make_patient()
        actors = [make_user(role="clinician") for _ in range(3)]
        for actor in actors:
            _many(patient, actor, lines // len(actors) + 1)
        client.get(url.format(id=patient.id))  # warm caches (clinic, translations)
        with count_queries() as queries:
            assert client.get(url.format(id=patient.id)).status_code == 200
        counts.append(queries())
    assert counts[0] == counts[1], counts


# -- a restore writes its own line --------------------------------------------------------


def test_a_restore_writes_its_own_line_into_the_restored_database(tmp_path):
    from tests.backup.support import cli, own_portal, store_some_data

    with own_portal(tmp_path / "instance") as portal:
        store_some_data()
        backup = cli(portal, "backup", "--output", str(tmp_path / "backups"))
        assert backup.exit_code == 0, backup.output
        archive = next((tmp_path / "backups").iterdir())
        result = cli(portal, "restore", "--yes", str(archive))
        assert result.exit_code == 0, result.output
        lines = list(_db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "backup-restored")))
        assert len(lines) == 1
        line = lines[0]
        assert line.actor_id is None and line.patient_id is None and line.outcome == "success"
        assert line.target.startswith(f"backup:{archive.name}; made:20")
        assert datetime.now(UTC) - line.occurred_at < timedelta(minutes=5)
