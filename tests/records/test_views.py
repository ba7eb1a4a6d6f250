"""The record pages as a patient and as staff see them: values, words, groups, who may look."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Patient
from portal.records.models import KINDS, RecordItem
from portal.records.services import display_value, precision, reference_range
from portal.types import utcnow
from tests.conftest import count_queries, login_as, make_patient, make_user
from tests.quality.seeders import health_record

_ids = count(1)


def at(day: str) -> datetime:
    """Noon UTC of an ISO day: the same date in the clinic's time zone."""
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def add_item(patient: Patient, kind: str = "observation", **values) -> RecordItem:
    """One record item; an observation is a released laboratory result unless told otherwise."""
    n = next(_ids)
    defaults = dict(patient_id=patient.id, kind=kind, fhir_id=f"test-{n}", title=f"Item {n}",
                    resource={"resourceType": KINDS[kind], "id": f"test-{n}"},
                    content_hash="test", details={}, start_at=at("2024-05-01"))
    if kind in ("observation", "report"):
        defaults.update(released_at=utcnow())
    if kind == "observation":
        defaults.update(category="laboratory", status="final", code="2339-0",
                        code_system="http://loinc.org", title="Glucose",
                        value_num=Decimal("94.03117346500946"), unit="mg/dL")
    defaults.update(values)
    item = RecordItem(**defaults)
    db.session.add(item)
    db.session.commit()
    return item


def text(response) -> str:
    """The page's main content as a person reads it: tags out, spaces collapsed."""
    page = response.get_data(as_text=True)
    main = page.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace(" ,", ",").replace(" :", ":")


@pytest.fixture
def patient_user(clinic):
    return make_user(locale="en")


def _audits(**where):
    return db.session.scalars(select(AuditEvent).filter_by(**where)).all()


# How values read --------------------------------------------------------------------------

@pytest.mark.parametrize("value, decimals", [
    ("94.03117346500946", 1), ("5.4321", 2), ("5.4", 1), ("140", 0), ("1234.5", 0),
    ("0.012345", 4), ("0", 0), ("-3.14159", 2), ("5.4000000000", 1),
])
def test_precision_keeps_three_significant_digits_and_no_false_ones(value, decimals):
    assert precision(Decimal(value)) == decimals


@pytest.mark.parametrize("lang, expected, usual", [
    ("en", "94.0 mg/dL", "3.5–5.0 mmol/L"),
    ("nl", "94,0 mg/dL", "3,5–5,0 mmol/L"),
    ("pl", "94,0 mg/dL", "3,5–5,0 mmol/L"),
])
def test_values_and_ranges_read_in_the_readers_notation(app, lang, expected, usual):
    value = RecordItem(value_num=Decimal("94.03117346500946"), unit="mg/dL")
    potassium = RecordItem(value_num=Decimal("4.2"), unit="mmol/L", ref_low=Decimal("3.5"),
                           ref_high=Decimal("5.0000000000"))
    with app.test_request_context(), force_locale(lang):
        assert display_value(value) == expected
        assert reference_range(potassium) == usual
        assert display_value(potassium).startswith("4")


def test_text_values_and_units_read_as_a_patient_reads_them(app):
    with app.test_request_context():
        assert display_value(RecordItem(value_text="109/70 mm[Hg]")) == "109/70 mmHg"
        assert display_value(RecordItem(value_num=Decimal("1234.56"), unit="10*3/uL")) \
            == "1,235 10³/µL"
        assert reference_range(RecordItem(ref_high=Decimal("5.0"), unit="mmol/L")) \
            == "up to 5 mmol/L"
        assert reference_range(RecordItem(ref_text="Negative")) == "Negative"
        assert reference_range(RecordItem()) is None


# The results page ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang, value", [("en", "94.0 mg/dL"), ("nl", "94,0 mg/dL"),
                                         ("pl", "94,0 mg/dL")])
def test_results_show_rounded_values_in_the_patients_language(client, clinic, lang, value):
    user = make_user(locale=lang)
    add_item(user.patient)
    login_as(client, user)
    page = text(client.get("/record/results"))
    assert value in page
    assert "94.03117" not in page and "94,03117" not in page


def test_results_say_ranges_flags_and_news_in_words(client, patient_user):
    patient = patient_user.patient
    add_item(patient, title="Potassium", value_num=Decimal("5.6"), unit="mmol/L",
             ref_low=Decimal("3.5"), ref_high=Decimal("5.0"), flag="high")
    add_item(patient, title="Sodium", value_num=Decimal("131"), unit="mmol/L", flag="low",
             seen_at=utcnow())
    add_item(patient, title="Urine culture", value_num=None, value_text="Positive",
             flag="abnormal", patient_note="We will call you about this.")
    login_as(client, patient_user)
    page = text(client.get("/record/results"))
    assert "Potassium 5.6 mmol/L High 3.5–5.0 mmol/L" in page.replace(" New", "")
    assert "Sodium 131 mmol/L Low No reference range given" in page
    assert "Positive Outside the usual range" in page
    assert "Note from the clinic: We will call you about this." in page
    assert page.count(" New ") == 2  # sodium was opened already


def test_results_are_grouped_by_day_and_report_newest_first(client, patient_user):
    patient = patient_user.patient
    add_item(patient, "report", fhir_id="r-old", title="Lipid panel", start_at=at("2023-01-05"))
    add_item(patient, title="Cholesterol", report_ref="r-old", start_at=at("2023-01-05"))
    add_item(patient, "report", fhir_id="r-new", title="Kidney function",
             start_at=at("2024-06-10"))
    add_item(patient, title="Creatinine", report_ref="r-new", start_at=at("2024-06-10"))
    add_item(patient, title="eGFR", report_ref="r-new", start_at=at("2024-06-10"))
    add_item(patient, title="Body weight", category="vital-signs", start_at=at("2024-06-10"))
    login_as(client, patient_user)
    page = text(client.get("/record/results"))
    order = [page.index(words) for words in (
        "10 June 2024", "Kidney function", "Creatinine", "eGFR", "Other results",
        "Body weight", "5 January 2023", "Lipid panel", "Cholesterol")]
    assert order == sorted(order)


def test_results_are_paginated_by_group(client, patient_user):
    patient = patient_user.patient
    for day in range(1, 13):
        add_item(patient, "report", fhir_id=f"r{day}", title=f"Panel {day}",
                 start_at=at(f"2024-01-{day:02d}"))
        for _ in range(3):
            add_item(patient, report_ref=f"r{day}", start_at=at(f"2024-01-{day:02d}"))
    login_as(client, patient_user)
    first, second = (text(client.get(f"/record/results?page={n}")) for n in (1, 2))
    assert "Panel 12" in first and "Panel 5" in first and "Panel 4" not in first
    assert "Panel 4" in second and "Panel 1 " in second and "Panel 12" not in second
    assert "Page 2 of 2" in second
    assert text(client.get("/record/results?page=99")) == second


def test_unreleased_and_other_patients_results_are_not_shown(client, patient_user):
    add_item(patient_user.patient, title="Released test")
    held = add_item(patient_user.patient, title="Held back test", released_at=None)
    add_item(make_patient(), title="Someone else's test")
    login_as(client, patient_user)
    page = text(client.get("/record/results"))
    assert "Released test" in page
    assert "Held back test" not in page and "Someone else" not in page
    assert "1 result, 1 new" in text(client.get("/record"))
    assert "Held back" not in text(client.get("/home"))
    assert client.get(f"/record/results/{held.id}").status_code == 404


# One result and its history ---------------------------------------------------------------

def test_result_page_shows_history_table_and_chart(client, patient_user):
    patient = patient_user.patient
    for year, value in ((2020, "80.2"), (2021, "110.4"), (2022, "95.0")):
        add_item(patient, value_num=Decimal(value), start_at=at(f"{year}-03-01"))
    latest = add_item(patient, value_num=Decimal("101"), start_at=at("2023-03-01"),
                      patient_note="Nothing to worry about.")
    add_item(patient, title="Sodium", code="2951-2")  # another test: not in the history
    login_as(client, patient_user)
    response = client.get(f"/record/results/{latest.id}")
    page = response.get_data(as_text=True)
    assert "<h1>Glucose</h1>" in page
    assert "Nothing to worry about." in page
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">", page.split('id="history-caption"')[1])
    assert len(rows) == 4
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-labelledby="history-chart-title"' in svg
    assert '<title id="history-chart-title">Glucose</title>' in svg
    assert ("4 values from 1 Mar 2020 to 1 Mar 2023, lowest 80.2 mg/dL, highest 110 mg/dL."
            in svg)
    assert svg.count("<circle") == 4
    assert "style=" not in page and "<style" not in page


def test_opening_a_result_marks_it_seen_for_the_patient_only(app, client, clinic):
    patient = make_patient()
    result = add_item(patient)
    clinician = make_user(role="clinician")
    login_as(client, clinician)
    assert client.get(f"/staff/patients/{patient.id}/record/results/{result.id}") \
        .status_code == 200
    db.session.refresh(result)
    assert result.seen_at is None
    client = app.test_client()
    login_as(client, make_user(patient=patient))
    assert "1 new" in text(client.get("/record"))
    client.get(f"/record/results/{result.id}")
    db.session.refresh(result)
    assert result.seen_at is not None
    assert "new" not in text(client.get("/record")).lower().replace("news", "")
    assert _audits(action="record-viewed", target=f"result:{result.id}", patient_id=patient.id)


@pytest.mark.parametrize("whose", ["other patient", "unreleased", "not a result"])
def test_a_result_that_is_not_yours_to_see_is_404_and_audited(client, patient_user, whose):
    if whose == "other patient":
        item = add_item(make_patient())
    elif whose == "unreleased":
        item = add_item(patient_user.patient, released_at=None)
    else:
        item = add_item(patient_user.patient, "condition", title="Asthma")
    login_as(client, patient_user)
    response = client.get(f"/record/results/{item.id}")
    assert response.status_code == 404
    assert "Glucose" not in response.get_data(as_text=True)
    denied = _audits(outcome="denied", target=f"result:{item.id}")
    assert len(denied) == 1 and denied[0].patient_id == patient_user.patient_id
    assert denied[0].action == "denied:records"


def test_a_visit_of_another_patient_is_404_and_audited(client, patient_user):
    visit = add_item(make_patient(), "encounter", title="Emergency visit")
    login_as(client, patient_user)
    assert client.get(f"/record/visits/{visit.id}").status_code == 404
    assert _audits(outcome="denied", target=f"visit:{visit.id}")


# Visits and the other lists ------------------------------------------------------------------

def test_visit_page_shows_what_the_visit_brought(client, patient_user):
    patient = patient_user.patient
    visit = add_item(patient, "encounter", fhir_id="enc-1", title="General examination",
                     start_at=at("2024-03-12"),
                     details={"class": "AMB", "reason": "Check-up",
                              "practitioner": "Dr Anna Vos", "place": "Linden Health Centre"})
    add_item(patient, "condition", title="Hypertension", encounter_ref="enc-1")
    add_item(patient, "procedure", title="Electrocardiogram", encounter_ref="enc-1")
    add_item(patient, "medication", title="Lisinopril 10 mg", encounter_ref="enc-1",
             status="active", details={"dosage": "1 tablet every morning"})
    add_item(patient, title="Cholesterol", encounter_ref="enc-1")
    add_item(patient, title="Held back", encounter_ref="enc-1", released_at=None)
    add_item(patient, "condition", title="Bronchitis", encounter_ref="enc-2")
    login_as(client, patient_user)
    listed = text(client.get("/record/visits"))
    assert "12 Mar 2024 General examination Check-up Dr Anna Vos, Linden Health Centre" \
        in listed
    page = text(client.get(f"/record/visits/{visit.id}"))
    for words in ("At the clinic", "Check-up", "Dr Anna Vos", "Linden Health Centre",
                  "Diagnoses Hypertension", "Procedures Electrocardiogram",
                  "Lisinopril 10 mg: 1 tablet every morning", "Cholesterol: 94.0 mg/dL"):
        assert words in page
    assert "Bronchitis" not in page and "Held back" not in page


def test_medicines_current_first_then_stopped(client, patient_user):
    patient = patient_user.patient
    add_item(patient, "medication", title="Amoxicillin", status="completed",
             details={"dosage_timing": {"dose": 1, "dose_unit": "capsule", "frequency": 3,
                                        "period": 1, "period_unit": "d"}})
    add_item(patient, "medication", title="Lisinopril", status="active",
             details={"dosage": "1 tablet every morning", "prescriber": "Dr Vos"})
    login_as(client, patient_user)
    page = text(client.get("/record/medications"))
    assert page.index("Current medicines") < page.index("Lisinopril") \
        < page.index("Stopped or finished") < page.index("Amoxicillin")
    assert "1 tablet every morning" in page and "Dr Vos" in page
    assert "1 capsule, 3 times a day" in page
    assert "Request a repeat prescription" not in page  # the messages area adds it


def test_conditions_allergies_vaccinations_procedures(client, patient_user):
    patient = patient_user.patient
    add_item(patient, "condition", title="Asthma", status="active", start_at=at("2019-04-02"))
    add_item(patient, "condition", title="Bronchitis", status="resolved",
             start_at=at("2023-02-14"), end_at=at("2023-03-07"))
    add_item(patient, "allergy", title="Penicillin allergy", status="active",
             details={"reactions": ["Hives"], "criticality": "high", "type": "allergy"})
    add_item(patient, "immunization", title="Influenza vaccine", start_at=at("2025-10-14"))
    add_item(patient, "procedure", title="Spirometry", details={"reason": "Bronchitis"})
    login_as(client, patient_user)
    conditions = text(client.get("/record/conditions"))
    assert conditions.index("Asthma") < conditions.index("Resolved") \
        < conditions.index("Bronchitis 14 February 2023 7 March 2023")
    allergies = text(client.get("/record/allergies"))
    assert "Penicillin allergy" in allergies and "Hives" in allergies
    assert "High risk of a severe reaction" in allergies
    assert "Influenza vaccine 14 October 2025" in text(client.get("/record/immunizations"))
    assert "Spirometry 1 May 2024 Bronchitis" in text(client.get("/record/procedures"))
    overview = text(client.get("/record"))
    for words in ("0 results", "2 health problems", "1 allergy", "1 vaccination",
                  "1 procedure", "0 visits"):
        assert words in overview


def test_every_page_is_audited_with_its_target(client, patient_user):
    login_as(client, patient_user)
    for path, target in (("/record", "overview"), ("/record/results", "results"),
                         ("/record/visits", "visits"), ("/record/medications", "medications"),
                         ("/record/conditions", "conditions"),
                         ("/record/allergies", "allergies"),
                         ("/record/immunizations", "immunizations"),
                         ("/record/procedures", "procedures"), ("/home", "dashboard")):
        assert client.get(path).status_code == 200
        assert _audits(action="record-viewed", target=target,
                       patient_id=patient_user.patient_id), path


# Who may look --------------------------------------------------------------------------------

PAGES = ["", "/results", "/visits", "/medications", "/conditions", "/allergies",
         "/immunizations", "/procedures"]


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_clinicians_and_admins_read_a_record_at_the_staff_addresses(client, clinic, role):
    patient = make_patient(given_name="Olga")
    result = add_item(patient, title="Ferritin")
    visit = add_item(patient, "encounter", title="Check-up visit")
    login_as(client, make_user(role=role))
    base = f"/staff/patients/{patient.id}/record"
    for path in PAGES:
        response = client.get(base + path)
        assert response.status_code == 200, path
        assert "Record of Olga" in text(response)
    page = client.get(base + "/results").get_data(as_text=True)
    assert f'href="{base}/results/{result.id}"' in page and f'href="{base}"' in page
    assert "Not yet seen by the patient" in page
    assert client.get(f"{base}/results/{result.id}").status_code == 200
    assert client.get(f"{base}/visits/{visit.id}").status_code == 200
    assert client.get("/record/results").status_code == 404  # no patient to act for


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_front_desk_and_billing_may_not_read_records(client, clinic, role):
    patient = make_patient()
    result = add_item(patient, title="Ferritin")
    login_as(client, make_user(role=role))
    base = f"/staff/patients/{patient.id}/record"
    for path in PAGES + [f"/results/{result.id}"]:
        response = client.get(base + path)
        assert response.status_code == 404, path
        assert "Ferritin" not in response.get_data(as_text=True)
    assert len(_audits(outcome="denied", patient_id=patient.id)) == len(PAGES) + 1


def test_a_patient_may_not_use_the_staff_addresses(client, patient_user):
    other = make_patient()
    add_item(patient_user.patient, title="Ferritin")
    login_as(client, patient_user)
    for patient_id in (patient_user.patient_id, other.id):
        response = client.get(f"/staff/patients/{patient_id}/record/results")
        assert response.status_code == 404
        assert "Ferritin" not in response.get_data(as_text=True)
    assert len(_audits(outcome="denied", action="denied:records")) == 2


def test_record_pages_need_a_signed_in_user(client, clinic):
    assert client.get("/record/results").status_code in (302, 303)


# The dashboard ---------------------------------------------------------------------------------

def test_dashboard_lists_up_to_five_new_results(client, patient_user):
    for day in range(1, 8):
        add_item(patient_user.patient, title=f"Test {day}", start_at=at(f"2024-02-{day:02d}"))
    add_item(patient_user.patient, title="Old news", seen_at=utcnow())
    login_as(client, patient_user)
    page = text(client.get("/home"))
    assert "You have 7 results you have not opened yet." in page
    assert all(f"Test {day}" in page for day in range(3, 8))
    assert "Test 2" not in page and "Old news" not in page


def test_dashboard_new_results_fragment_for_htmx(client, patient_user):
    add_item(patient_user.patient, title="Ferritin")
    login_as(client, patient_user)
    fragment = client.get("/home/new-results", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<section id="new-results"')
    assert "<html" not in body and "<h1" not in body and "Ferritin" in body
    plain = client.get("/home/new-results")
    assert plain.status_code == 303 and plain.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert body.strip() in page  # the same block, not a copy


def test_dashboard_without_results(client, patient_user):
    login_as(client, patient_user)
    assert "No new results since you last looked." in text(client.get("/home"))


# Queries do not grow with the record ------------------------------------------------------------

def _first(patient, kind):
    return db.session.scalar(select(RecordItem.id).where(
        RecordItem.patient_id == patient.id, RecordItem.kind == kind,
        RecordItem.released_at.is_not(None) if kind == "observation" else True)
        .order_by(RecordItem.id))


def _queries(client, user, staff, n) -> dict[str, int]:
    health_record(user.patient, user, n)
    db.session.commit()
    base = f"/staff/patients/{user.patient_id}/record" if staff else "/record"
    paths = [base + p for p in PAGES] + [
        f"{base}/results/{_first(user.patient, 'observation')}",
        f"{base}/visits/{_first(user.patient, 'encounter')}",
        base + "/results?page=3", base + "/visits?page=2"]
    if not staff:
        paths += ["/home"]
    counts = {}
    for number, path in enumerate(paths):
        with count_queries() as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[number, re.sub(r"/\d+", "/<id>", path)] = queries()
    return counts


@pytest.mark.parametrize("staff", [False, True], ids=["patient", "clinician"])
def test_query_counts_do_not_grow_with_the_record(app, clinic, staff):
    counts = []
    # 50: the short record has the pages asked for too (results page 3, visits page 2); a
    # page beyond the end would cost the count and the last page on top of the page's query.
    for n in (50, 500):
        user = make_user()
        client = app.test_client()
        login_as(client, make_user(role="clinician") if staff else user)
        counts.append(_queries(client, user, staff, n))
    assert counts[0] == counts[1]
    # The result and visit pages: the item, its history or visit items, the report, the
    # friendly names (one lookup) and the item's correction state (one lookup).
    assert max(counts[1].values()) <= 11, counts[1]


def test_a_clinic_without_the_record_area_shows_none_of_it(client, clinic, patient_user):
    clinic.features = {**clinic.features, "records": False}
    db.session.commit()
    add_item(patient_user.patient, title="Ferritin")
    login_as(client, patient_user)
    assert client.get("/record/results").status_code == 404
    home = client.get("/home").get_data(as_text=True)
    assert "Ferritin" not in home and 'href="/record"' not in home


def test_demo_records_load_once_and_show(app, client, db, monkeypatch):
    from portal import demo

    monkeypatch.setattr(demo, "hash_password", lambda password: "not-a-real-hash")
    demo.load_demo()
    before = db.session.scalar(select(func.count()).select_from(RecordItem))
    demo.load_demo()
    assert db.session.scalar(select(func.count()).select_from(RecordItem)) == before > 100
    oliver = db.session.scalar(select(Patient).where(Patient.patient_number == "P-100001"))
    user = oliver.account
    user.password_hash = make_user(role="admin").password_hash
    db.session.commit()
    login_as(client, user)
    page = text(client.get("/record/results"))
    assert "Lipid panel" in page and "High" in page and "Hemoglobin A1c" not in page
