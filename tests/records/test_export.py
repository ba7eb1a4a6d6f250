"""Downloading the record: FHIR (round trip through the importer), printable summary, text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle as BundleModel
from sqlalchemy import select

from portal.extensions import db as _db
from portal.fhir.importer import import_file
from portal.models import AuditEvent, Patient
from portal.records.models import RecordItem
from portal.types import utcnow
from tests.conftest import count_queries, login_as, make_patient, make_user
from tests.quality.seeders import health_record
from tests.records.fhir_bundles import SHARED, make_bundle, small_resources, urn, write_bundle

DOWNLOAD = "/record/download"


def _import_small(tmp_path) -> Patient:
    result = import_file(write_bundle(tmp_path, "small.json", make_bundle(small_resources())))
    assert result.error is None
    return _db.session.scalar(select(Patient).where(Patient.fhir_id == "pat-1"))


@pytest.fixture
def imported(client, clinic, tmp_path):
    """The small bundle's patient, with an account, signed in on `client`."""
    patient = _import_small(tmp_path)
    login_as(client, make_user(patient=patient))
    return patient


def _download(client, fmt: str, url: str = DOWNLOAD, **period):
    args = {"format": fmt, "scope": "period" if period else "all", **period}
    return client.get(url, query_string=args)


def _bundle_ids(response) -> set[tuple[str, str]]:
    data = json.loads(response.data)
    return {(e["resource"]["resourceType"], e["resource"].get("id")) for e in data["entry"]}


def _last_audit():
    return _db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def test_the_download_page_is_a_plain_get_form(client, imported):
    page = client.get(DOWNLOAD).get_data(as_text=True)
    assert page.count("<h1") == 1
    form = re.search(r"<form method=\"get\"[^>]*>", page).group(0)
    assert 'action="/record/download"' in form and 'hx-boost="false"' in form
    assert 'type="date"' in page and 'value="fhir"' in page and 'type="submit"' in page
    assert _db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "record-downloaded")) is None


def test_fhir_download_is_a_valid_r4_bundle_holding_the_record(client, imported):
    response = _download(client, "fhir")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="health-record-{imported.patient_number}-'
        f'{utcnow().date().isoformat()}.json"')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    BundleModel.model_validate(data)  # raises when not valid FHIR R4(B)
    assert data["type"] == "collection"
    assert _bundle_ids(response) == {
        ("Patient", "pat-1"), ("Encounter", "enc-1"), ("Observation", "obs-glucose"),
        ("Observation", "obs-bp"), ("DiagnosticReport", "rep-1"),
        ("MedicationRequest", "med-1"), ("Practitioner", urn("dr-1").removeprefix("urn:uuid:"))}
    by_type = {e["resource"]["resourceType"]: e for e in data["entry"]}
    # Items keep the resource as the clinic sent it; the Practitioner is rebuilt from the
    # name the portal kept, at the address the items refer to.
    assert by_type["MedicationRequest"]["resource"] == small_resources()[6]
    assert by_type["Practitioner"]["fullUrl"] == urn("dr-1")
    assert by_type["Practitioner"]["resource"]["name"] == [{"text": "Dr. Jan Nowak"}]
    assert by_type["Patient"]["fullUrl"] == urn("pat-1")
    assert by_type["Patient"]["resource"]["name"][0]["family"] == "Kowalska"
    event = _last_audit()
    assert (event.action, event.patient_id, event.target) == (
        "record-downloaded", imported.id, "format:fhir; from:-; to:-")


def test_html_summary_is_a_printable_document_without_site_chrome(client, imported):
    response = _download(client, "html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("inline;")
    page = response.get_data(as_text=True)
    assert page.count("<h1") == 1 and "Health record summary" in page
    assert '<html lang="en">' in page and 'rel="stylesheet"' in page
    assert "<style" not in page and "style=" not in page and "<script" not in page
    assert "<nav" not in page and "Sign out" not in page
    for seen in ("Zofia Kowalska", "Glucose", "94.0 mg/dL", "High", "Metformin 500 mg",
                 "One tablet twice a day", "Check-up", "Dr. Jan Nowak", "The whole record"):
        assert seen in page, seen
    assert '<th scope="col">' in page
    assert '<caption id="observation-table">Latest results</caption>' in page
    assert _last_audit().target == "format:html; from:-; to:-"


def test_text_summary_has_headings_in_words_and_one_fact_per_line(client, imported):
    response = _download(client, "text")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    lines = text.splitlines()
    assert "<" not in text and "&#" not in text and "&amp;" not in text
    for heading in ("Section: Allergies.", "Section: Current medicines.",
                    "Section: Latest results.", "Section: Visits."):
        assert heading in lines, heading
    assert "Name: Zofia Kowalska" in lines
    assert any(line.startswith("Glucose: 94.0 mg/dL. High. Usual range: 70.0–99.5 mg/dL.")
               for line in lines)
    assert any(line.startswith("Metformin 500 mg. How to take it: One tablet twice a day.")
               for line in lines)
    assert "No allergies recorded." in lines
    assert _last_audit().target == "format:text; from:-; to:-"


def _dated_item(patient: Patient, fhir_id: str, at: datetime | None) -> None:
    resource = {"resourceType": "Immunization", "id": fhir_id, "status": "completed",
                "vaccineCode": {"text": f"Vaccine {fhir_id}"},
                "patient": {"reference": urn(patient.fhir_id)},
                "occurrenceDateTime": (at or datetime(2000, 1, 1, tzinfo=UTC)).isoformat()}
    _db.session.add(RecordItem(patient_id=patient.id, kind="immunization", fhir_id=fhir_id,
                               title=f"Vaccine {fhir_id}", start_at=at, resource=resource,
                               content_hash="x", details={}))
    _db.session.commit()


@pytest.mark.parametrize("period, expected", [
    ({"from_date": "2024-03-01", "to_date": "2024-03-31"}, {"first", "last"}),
    ({"from_date": "2024-03-01"}, {"first", "last", "after"}),
    ({"to_date": "2024-03-31"}, {"before", "first", "last"}),
    ({}, {"before", "first", "last", "after", "undated"}),
])
def test_the_period_takes_whole_days_in_the_clinics_time_zone(client, clinic, period,
                                                               expected):
    patient = make_patient(fhir_id="pat-dates")
    # Amsterdam: 1 March starts at 23:00 UTC the day before; 31 March (summer time from
    # that night) ends at 22:00 UTC.
    _dated_item(patient, "before", datetime(2024, 2, 29, 22, 59, 59, tzinfo=UTC))
    _dated_item(patient, "first", datetime(2024, 2, 29, 23, 0, tzinfo=UTC))
    _dated_item(patient, "last", datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC))
    _dated_item(patient, "after", datetime(2024, 3, 31, 22, 0, tzinfo=UTC))
    _dated_item(patient, "undated", None)
    login_as(client, make_user(patient=patient))
    response = _download(client, "fhir", **period)
    assert response.status_code == 200
    assert {fhir_id for kind, fhir_id in _bundle_ids(response) if kind == "Immunization"} \
        == expected
    BundleModel.model_validate(json.loads(response.data))
    assert _last_audit().target == (f"format:fhir; from:{period.get('from_date', '-')}; "
                                    f"to:{period.get('to_date', '-')}")
    summary = _download(client, "text", **period).get_data(as_text=True)
    assert {name for name in ("before", "first", "last", "after", "undated")
            if f"Vaccine {name}." in summary} == expected


@pytest.mark.parametrize("args, field, message", [
    ({"from_date": "2024-02-30"}, "from_date", "Enter a real date, for example 2024-03-31."),
    ({"from_date": "2024-03-10", "to_date": "2024-03-09"}, "to_date",
     "The last day must be the same as or after the first day."),
    ({}, "from_date", "Enter the first day, the last day, or both."),
    ({"to_date": "31-03-2024"}, "to_date", "Enter a real date, for example 2024-03-31."),
])
def test_a_wrong_period_is_explained_next_to_its_field(client, imported, args, field, message):
    response = client.get(DOWNLOAD, query_string={"format": "fhir", "scope": "period", **args})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'<p class="field-error" id="{field}-error">.*{re.escape(message)}', page)
    assert f'<a href="#{field}">{message}</a>' in page  # in the error summary too
    assert f'aria-describedby="{field}-hint {field}-error"' in page
    assert _db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "record-downloaded")) is None


def test_dates_are_ignored_when_the_whole_record_is_chosen(client, imported):
    response = client.get(DOWNLOAD, query_string={"format": "fhir", "scope": "all",
                                                  "from_date": "nonsense"})
    assert response.status_code == 200
    assert _last_audit().target == "format:fhir; from:-; to:-"


def test_staff_download_through_the_staff_address(client, clinic, tmp_path):
    patient = _import_small(tmp_path)
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    url = f"/staff/patients/{patient.id}/record/download"
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}"' in page and "Zofia Kowalska" in page
    response = _download(client, "text", url=url)
    assert response.status_code == 200 and "Glucose" in response.get_data(as_text=True)
    event = _last_audit()
    assert (event.action, event.actor_id, event.patient_id) == (
        "record-downloaded", clinician.id, patient.id)


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_staff_who_may_not_read_records_get_404_and_an_audit_line(client, clinic, tmp_path,
                                                                  role):
    patient = _import_small(tmp_path)
    login_as(client, make_user(role=role))
    response = _download(client, "fhir", url=f"/staff/patients/{patient.id}/record/download")
    assert response.status_code == 404 and b"Glucose" not in response.data
    event = _last_audit()
    assert (event.action, event.outcome, event.patient_id) == (
        "denied:records", "denied", patient.id)


def test_a_patient_cannot_download_another_patients_record(client, imported):
    other = make_patient(given_name="Secret")
    response = _download(client, "fhir", url=f"/staff/patients/{other.id}/record/download")
    assert response.status_code == 404 and b"Secret" not in response.data
    assert _last_audit().outcome == "denied"


def test_unreleased_results_are_in_no_download(client, clinic, tmp_path):
    clinic.results_need_release = True
    _db.session.commit()
    patient = _import_small(tmp_path)
    login_as(client, make_user(patient=patient))
    ids = _bundle_ids(_download(client, "fhir"))
    assert ("Observation", "obs-glucose") not in ids and ("DiagnosticReport", "rep-1") not in ids
    assert ("Encounter", "enc-1") in ids
    for fmt in ("html", "text"):
        assert "Glucose" not in _download(client, fmt).get_data(as_text=True)
    # The visit's result list points at nothing in the export: still a valid bundle.
    BundleModel.model_validate(json.loads(_download(client, "fhir").data))


def _item_set(patient_id: int) -> set[tuple[str, str, str]]:
    return set(_db.session.execute(select(RecordItem.kind, RecordItem.fhir_id,
                                          RecordItem.content_hash)
                                   .where(RecordItem.patient_id == patient_id)).all())


def _empty_tables() -> None:
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


def test_an_exported_shared_bundle_imports_back_to_the_same_record(client, clinic, tmp_path):
    source = min(SHARED.glob("*.json"), key=lambda path: path.stat().st_size)
    assert import_file(source).error is None
    patient = _db.session.scalar(select(Patient))
    before, fhir_id = _item_set(patient.id), patient.fhir_id
    login_as(client, make_user(patient=patient))
    response = _download(client, "fhir")
    exported = write_bundle(tmp_path, "export.json", response.get_data(as_text=True))
    BundleModel.model_validate(json.loads(response.data))

    again = import_file(exported)  # into the same database: nothing changes
    assert again.error is None and again.total("new") == again.total("changed") == 0

    _empty_tables()
    result = import_file(exported)
    assert result.error is None, result.error
    restored = _db.session.scalar(select(Patient))
    assert restored.fhir_id == fhir_id
    assert _item_set(restored.id) == before
    assert len(before) > 50


def test_queries_do_not_grow_with_the_record(app, clinic):
    counts = {}
    for n in (5, 500):
        user = make_user()
        health_record(user.patient, user, n)
        _db.session.commit()
        client = app.test_client()
        login_as(client, user)
        counts[n] = []
        for fmt in ("fhir", "html", "text"):
            with count_queries() as queries:
                assert _download(client, fmt).status_code == 200
            counts[n].append(queries())
    assert counts[5] == counts[500]


def test_the_fhir_file_is_sent_compressed(client, imported):
    response = client.get(DOWNLOAD, query_string={"format": "fhir"},
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
