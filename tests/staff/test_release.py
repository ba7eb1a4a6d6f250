"""Releasing results: the clinicians' queue, the release with a note, and what patients see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from portal.extensions import db as _db
from portal.fhir.importer import import_file
from portal.models import AuditEvent, ClinicSettings, Patient
from portal.records import services, services_results
from portal.records.models import RecordItem
from portal.types import utcnow
from tests.conftest import (
    count_queries,
    csrf_token,
    login_as,
    make_patient,
    make_user,
    post_form,
)
from tests.records.fhir_bundles import make_bundle, small_resources, write_bundle

QUEUE = "/staff/results"
NOTE = "Your sugar is a little high. Nothing to worry about; we will talk at your next visit."


@pytest.fixture
def held(clinic, tmp_path):
    """The small bundle imported while the clinic has clinicians release results."""
    clinic.results_need_release = True
    _db.session.commit()
    assert import_file(write_bundle(tmp_path, "small.json",
                                    make_bundle(small_resources()))).error is None
    patient = _db.session.scalar(select(Patient).where(Patient.fhir_id == "pat-1"))
    return patient, make_user(patient=patient)


def _item(fhir_id: str) -> RecordItem:
    _db.session.expire_all()
    return _db.session.scalar(select(RecordItem).where(RecordItem.fhir_id == fhir_id))


def _release_url(item: RecordItem) -> str:
    return f"/staff/results/{item.id}/release"


def _release(client, item: RecordItem, note: str = "", **extra):
    return post_form(client, _release_url(item), {f"release-{item.id}-note": note, **extra},
                     page=QUEUE)


def test_the_queue_groups_waiting_results_by_patient_and_report(client, held):
    patient, _user = held
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    page = client.get(QUEUE).get_data(as_text=True)
    assert page.count("<h1") == 1
    assert "2 reports or results wait for release" in page
    assert "Zofia Kowalska" in page and patient.patient_number in page
    report, glucose, bp = _item("rep-1"), _item("obs-glucose"), _item("obs-bp")
    # The report with its glucose result is one group, the blood pressure another.
    assert re.search(r"<caption[^>]*>Metabolic panel.*?Glucose.*?94\.0 mg/dL", page, re.S)
    assert re.search(r"<caption[^>]*>Result sent without a report.*?Blood Pressure", page,
                     re.S)
    assert f'action="{_release_url(report)}?page=1"' in page
    assert f'action="{_release_url(bp)}?page=1"' in page
    assert f'action="{_release_url(glucose)}' not in page  # released with its report
    assert page.count('name="csrf_token"') >= 3 and '<th scope="col">' in page
    assert 'aria-current="page">Results to release</a>' in page
    viewed = _db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "record-viewed", AuditEvent.target == "results-to-release"))
    assert (viewed.actor_id, viewed.patient_id) == (clinician.id, patient.id)


def test_unreleased_results_are_invisible_to_the_patient(app, client, held):
    patient, user = held
    login_as(client, user)
    assert "Glucose" not in client.get("/home").get_data(as_text=True)
    assert services.overview(patient, as_proxy=False).counts["observation"] == 0
    assert services_results.new_results(patient, as_proxy=False) == ([], 0)
    assert services_results.results_page(patient, 1, as_proxy=False).total == 0
    assert services.find_item(patient, "observation", _item("obs-glucose").id,
                              as_proxy=False) is None
    for fmt in ("html", "text", "fhir"):
        body = client.get("/record/download", query_string={"format": fmt}).get_data(
            as_text=True)
        assert "Glucose" not in body and "obs-glucose" not in body


def test_releasing_a_report_releases_its_results_with_the_note(app, client, held):
    patient, user = held
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    report = _item("rep-1")
    response = _release(client, report, NOTE)
    assert response.status_code == 303 and response.headers["Location"] == QUEUE + "?page=1"
    for fhir_id in ("rep-1", "obs-glucose"):
        item = _item(fhir_id)
        assert item.released_at is not None and item.released_by_id == clinician.id
        assert item.patient_note == NOTE
    assert _item("obs-bp").released_at is None  # not part of the report
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results-released"))
    assert (event.actor_id, event.patient_id, event.target) == (
        clinician.id, patient.id, f"report:{report.id}; results:1")
    queue = client.get(QUEUE).get_data(as_text=True)
    assert "1 result released to Zofia Kowalska." in queue
    assert "Metabolic panel" not in queue and "1 report or result waits" in queue

    patient_client = app.test_client()
    login_as(patient_client, user)
    assert services.overview(patient, as_proxy=False).counts["observation"] == 1
    text = patient_client.get("/record/download", query_string={"format": "text"}).get_data(
        as_text=True)
    assert "Glucose: 94.0 mg/dL." in text and f"Note from the clinic: {NOTE}" in text
    results = patient_client.get("/record/results")
    assert results.status_code == 200 and NOTE in results.get_data(as_text=True)


def test_a_result_without_a_report_is_released_alone(client, held):
    login_as(client, make_user(role="admin"))
    bp = _item("obs-bp")
    assert _release(client, bp).status_code == 303
    bp = _item("obs-bp")
    assert bp.released_at is not None and bp.patient_note is None
    assert _item("obs-glucose").released_at is None
    assert _db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "results-released")) == f"result:{bp.id}"


def test_releasing_twice_says_so_and_changes_nothing(client, held):
    first = make_user(role="clinician")
    login_as(client, first)
    report = _item("rep-1")
    token = csrf_token(client, QUEUE)
    assert _release(client, report, NOTE).status_code == 303
    released_at = _item("rep-1").released_at
    # A colleague's page still shows the button: the second release changes nothing.
    response = client.post(_release_url(report), data={"csrf_token": token,
                                                       f"release-{report.id}-note": "Other"})
    assert response.status_code == 303
    assert "released already" in client.get(QUEUE).get_data(as_text=True)
    item = _item("rep-1")
    assert (item.released_at, item.patient_note) == (released_at, NOTE)


def test_a_long_note_is_refused_next_to_its_field(client, held):
    login_as(client, make_user(role="clinician"))
    report = _item("rep-1")
    response = _release(client, report, "x" * 2001)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = f"release-{report.id}-note"
    assert re.search(rf'id="{field}-error">.*Keep the note to 2000 characters or fewer', page)
    assert f'href="#{field}"' in page  # in the error summary
    assert _item("rep-1").released_at is None


def test_a_release_without_its_csrf_token_is_refused(client, held):
    login_as(client, make_user(role="clinician"))
    report = _item("rep-1")
    response = client.post(_release_url(report), data={f"release-{report.id}-note": NOTE})
    assert response.status_code == 400
    assert _item("rep-1").released_at is None


@pytest.mark.parametrize("role", ["front_desk", "billing", "patient"])
def test_only_clinicians_and_admins_release(client, held, role):
    login_as(client, make_user(role=role))
    assert client.get(QUEUE).status_code == 404
    report = _item("rep-1")
    response = client.post(_release_url(report), data={})
    assert response.status_code in (400, 404)
    assert _item("rep-1").released_at is None
    assert "Results to release" not in client.get("/account/").get_data(as_text=True)


def test_an_unknown_item_is_404_with_an_audit_line(client, held):
    login_as(client, make_user(role="clinician"))
    encounter = _item("enc-1")  # not a result
    response = post_form(client, _release_url(encounter), {}, page=QUEUE)
    assert response.status_code == 404
    event = _db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert (event.outcome, event.target) == ("denied", f"result:{encounter.id}")


def _waiting_reports(patient, n_reports: int) -> None:
    start = utcnow() - timedelta(days=n_reports)
    rows = []
    for r in range(n_reports):
        at = start + timedelta(hours=r)
        rows.append(dict(patient_id=patient.id, kind="report", fhir_id=f"r{patient.id}-{r}",
                         title=f"Panel {r}", start_at=at, resource={}, content_hash="x",
                         details={}))
        rows += [dict(patient_id=patient.id, kind="observation", fhir_id=f"o{patient.id}-{r}-{i}",
                      title=f"Test {i}", start_at=at, report_ref=f"r{patient.id}-{r}",
                      category="laboratory", value_text="5", resource={}, content_hash="x",
                      details={}) for i in range(5)]
    _db.session.execute(insert(RecordItem), rows)
    _db.session.commit()


def test_the_queue_costs_the_same_queries_for_5_or_500_waiting_results(app, clinic):
    counts = {}
    clinician = make_user(role="clinician")
    for n in (1, 100):  # reports of five results: 5 and 500 results
        _db.session.execute(RecordItem.__table__.delete())
        _db.session.commit()
        _waiting_reports(make_patient(), n)
        client = app.test_client()
        login_as(client, clinician)
        with count_queries() as queries:
            page = client.get(QUEUE).get_data(as_text=True)
        counts[n] = queries()
        assert page.count("<caption") == min(n, 10)
    assert counts[1] == counts[100]


def test_the_clinic_chooses_with_init_clinic(app, clinic):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "init-clinic", "--results-need-release"])
    assert result.exit_code == 0 and "wait until a clinician releases them" in result.output
    assert _db.session.scalar(select(ClinicSettings.results_need_release)) is True
    result = runner.invoke(args=["portal", "init-clinic", "--results-show-at-once"])
    assert "as soon as they arrive" in result.output
    _db.session.expire_all()
    assert _db.session.scalar(select(ClinicSettings.results_need_release)) is False
    runner.invoke(args=["portal", "init-clinic", "--name", "Renamed"])  # leaves it alone
    _db.session.expire_all()
    assert _db.session.scalar(select(ClinicSettings.results_need_release)) is False
