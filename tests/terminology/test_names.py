"""Coded items read in the reader's language, with the source's own name next to them."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.fhir.bundles import read_bundle
from portal.fhir.importer import _codes, _rows
from portal.models import User
from portal.records.models import RecordItem
from portal.terminology.models import Term
from portal.terminology.services import STARTER, load_starter, missing, starter_rows
from tests.conftest import count_queries, login_as, make_user
from tests.records.fhir_bundles import SHARED
from tests.records.test_views import add_item, text

LOINC = "http://loinc.org"


def test_the_starter_set_has_every_name_and_explanation_in_three_languages():
    rows = starter_rows()
    assert len(rows) > 200
    for row in rows:
        assert all(row.values()), row
    assert len({(row["system"], row["code"]) for row in rows}) == len(rows)
    with STARTER.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle))[:2] == ["system", "code"]


@pytest.mark.parametrize("path", sorted(SHARED.glob("*.json")), ids=lambda p: p.name[:20])
def test_the_starter_set_covers_every_code_of_the_shared_bundles(db, path):
    load_starter()
    codes = _codes(_rows(read_bundle(path)))
    assert codes and not missing(codes), sorted(missing(codes))


def test_the_starter_set_covers_every_code_of_the_demo_records(db):
    from portal import demo

    demo.hash_password = demo.hash_password
    demo.load_demo()
    items = db.session.scalars(select(RecordItem)).all()
    codes = {}
    for item in items:
        details = item.details or {}
        assert item.code, (item.kind, item.title)  # every demo item is coded
        codes[(item.code_system, item.code)] = item.title
        if details.get("reason"):
            assert details.get("reason_coding"), (item.title, details["reason"])
            codes[(details["reason_coding"]["system"], details["reason_coding"]["code"])] = ""
        for coding in details.get("reaction_codings") or []:
            codes[(coding["system"], coding["code"])] = ""
    assert not missing(codes), sorted(missing(codes))


def test_loading_again_adds_only_what_is_missing_and_keeps_staff_edits(db):
    assert load_starter() > 200
    term = db.session.scalar(select(Term).where(Term.system == LOINC, Term.code == "2339-0"))
    term.name_nl = "Suiker in het bloed"
    db.session.delete(db.session.scalar(select(Term).where(Term.code == "2093-3")))
    db.session.commit()
    assert load_starter() == 1
    db.session.refresh(term)
    assert term.name_nl == "Suiker in het bloed"


@pytest.fixture
def dutch(clinic):
    load_starter()
    return make_user(locale="nl")


def test_a_result_reads_in_dutch_with_the_laboratorys_name_as_secondary_text(client, dutch):
    item = add_item(dutch.patient, title="Total Cholesterol", code="2093-3")
    login_as(client, dutch)
    listed = text(client.get("/record/results"))
    assert "Totaal cholesterol (Total Cholesterol)" in listed
    assert "Totaal cholesterol (Total Cholesterol)" in text(client.get("/home"))
    page = client.get(f"/record/results/{item.id}").get_data(as_text=True)
    assert "<h1>Totaal cholesterol</h1>" in page
    assert "<title>Totaal cholesterol" in page
    assert "Alle cholesterol (een soort vet) in uw bloed." in page  # the explanation
    assert "Total Cholesterol" in text(client.get(f"/record/results/{item.id}"))


def test_english_shows_no_secondary_name_when_it_is_the_same(client, clinic):
    load_starter()
    user = make_user(locale="en")
    add_item(user.patient, title="Triglycerides", code="2571-8")
    login_as(client, user)
    page = client.get("/record/results").get_data(as_text=True)
    assert ">Triglycerides</a>" in page and "(Triglycerides)" not in page


def test_an_item_without_an_entry_keeps_the_sources_name(client, dutch):
    add_item(dutch.patient, title="Ferritin", code="2276-4")
    login_as(client, dutch)
    assert "Ferritin" in text(client.get("/record/results"))


def test_names_cost_one_query_however_many_coded_items(app, clinic):
    load_starter()
    counts = []
    for codes in (["2093-3"], ["2093-3", "2571-8", "18262-6", "2085-9", "2339-0", "6298-4"] * 3):
        user = make_user(locale="pl")
        for code in codes:
            add_item(user.patient, title=f"Test {code}", code=code)
        client = app.test_client()
        login_as(client, user)
        client.get("/record/results")  # the process's copy is up to date from here on
        with count_queries() as queries:
            page = client.get("/record/results").get_data(as_text=True)
        counts.append(queries())
        assert "Cholesterol całkowity" in page
    assert counts[0] == counts[1]


def test_results_and_their_reports_are_named_with_the_results_not_by_a_lookup(app, clinic):
    from sqlalchemy import event

    load_starter()
    user = make_user(locale="pl")
    add_item(user.patient, "report", fhir_id="bmp", title="Basic metabolic panel",
             code="51990-0", code_system=LOINC)
    add_item(user.patient, title="Glucose", code="2339-0", report_ref="bmp")
    add_item(user.patient, title="Total Cholesterol", code="2093-3", report_ref="bmp")
    add_item(user.patient, title="Ferritin", code="2276-4", report_ref="bmp")  # no entry
    add_item(user.patient, title="Uncoded", code="", report_ref="bmp")
    term = db.session.scalar(select(Term).where(Term.system == LOINC, Term.code == "2093-3"))
    term.name_pl = ""  # an empty name reads in English
    db.session.commit()
    client = app.test_client()
    login_as(client, user)
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        listed = client.get("/record/results").get_data(as_text=True)
        home = client.get("/home").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert ('Podstawowy panel biochemiczny <span class="source-name">(Basic metabolic panel)'
            '</span></caption>') in listed
    for page in (listed, home):
        assert 'Cukier we krwi (glukoza)</a> <span class="source-name">(Glucose)</span>' in page
        assert ">Total cholesterol</a>" in page and "(Total Cholesterol)" not in page
        assert ">Ferritin</a>" in page and ">Uncoded</a>" in page
        assert "(Ferritin)" not in page and "(Uncoded)" not in page
    # The names come in the results' own statements, not from the terms alone.
    looked_up = [s for s in statements if re.search(r"\bterms\b", s) and "record_items" not in s]
    assert not looked_up


def test_a_staff_edit_shows_on_the_next_page(client, dutch):
    add_item(dutch.patient, title="Glucose", code="2339-0")
    login_as(client, dutch)
    assert "Bloedsuiker (glucose)" in text(client.get("/record/results"))
    term = db.session.scalar(select(Term).where(Term.system == LOINC, Term.code == "2339-0"))
    from portal.terminology.services_staff import save

    save(term, {"name_en": "Blood sugar", "name_nl": "Suiker in het bloed",
                "name_pl": "Cukier", "explanation_en": "", "explanation_nl": "",
                "explanation_pl": ""}, make_user(role="clinician"))
    assert "Suiker in het bloed (Glucose)" in text(client.get("/record/results"))


def test_visit_reason_allergy_reactions_and_coded_answers_read_in_polish(client, clinic):
    load_starter()
    user = make_user(locale="pl")
    snomed = "http://snomed.info/sct"
    add_item(user.patient, "encounter", title="Encounter for symptom", code="185345009",
             code_system=snomed, details={"reason": "Acute bronchitis", "reason_coding": {
                 "system": snomed, "code": "10509002"}})
    add_item(user.patient, "allergy", title="Allergy to penicillin", code="91936005",
             code_system=snomed, details={"reactions": ["Hives"], "reaction_codings": [
                 {"system": snomed, "code": "126485001"}]})
    add_item(user.patient, title="Tobacco smoking status NHIS", code="72166-2", value_num=None,
             unit=None, value_text="Never smoker", resource={
                 "resourceType": "Observation", "valueCodeableConcept": {
                     "coding": [{"system": snomed, "code": "266919005"}],
                     "text": "Never smoker"}})
    login_as(client, user)
    visits = text(client.get("/record/visits"))
    assert "Wizyta z powodu dolegliwości (Encounter for symptom)" in visits
    assert "Ostre zapalenie oskrzeli (Acute bronchitis)" in visits
    allergies = text(client.get("/record/allergies"))
    assert "Alergia na penicylinę (Allergy to penicillin)" in allergies
    assert "Pokrzywka (Hives)" in allergies
    assert "Palenie tytoniu (Tobacco smoking status NHIS) Nowy Nigdy nie palił(a)" in text(
        client.get("/record/results"))


def test_the_downloads_name_items_in_the_readers_language(client, dutch):
    add_item(dutch.patient, title="Total Cholesterol", code="2093-3")
    login_as(client, dutch)
    printable = client.get("/record/download", query_string={"format": "html", "scope": "all"})
    plain = client.get("/record/download", query_string={"format": "text", "scope": "all"})
    fhir = client.get("/record/download", query_string={"format": "fhir", "scope": "all"})
    assert "Totaal cholesterol" in printable.get_data(as_text=True)
    assert "Totaal cholesterol (Total Cholesterol)" in plain.get_data(as_text=True)
    resources = [entry["resource"] for entry in json.loads(fhir.data)["entry"]]
    assert "Totaal cholesterol" not in json.dumps([r.get("code") for r in resources])


def test_no_english_name_on_the_polish_and_dutch_demo_patients_pages(app, db):
    """Every coded item on sanne's (nl) and kasia's (pl) record pages has its translation."""
    from portal import demo

    demo.load_demo()
    for username in ("sanne", "kasia"):
        _check_pages(app.test_client(),
                     db.session.scalar(select(User).where(User.username == username)))


def _check_pages(client, user) -> None:
    """Crawl the user's record pages; wherever a source name shows, its name in the
    user's language shows with it."""
    language = user.locale
    names = {(t.system, t.code): (t.name_en, getattr(t, f"name_{language}"))
             for t in db.session.scalars(select(Term))}
    items = db.session.scalars(select(RecordItem).where(
        RecordItem.patient_id == user.patient_id).order_by(RecordItem.id)).all()
    from portal.demo import DEMO_PASSWORD
    from tests.conftest import PASSWORD

    login_as(client, user, DEMO_PASSWORD if user.username in ("sanne", "kasia") else PASSWORD)
    pages = ["/home", "/record/results", "/record/visits", "/record/medications",
             "/record/conditions", "/record/allergies", "/record/immunizations",
             "/record/procedures"]
    from portal.records.services import is_result

    # The results the results page lists (released, and a test or a value), in a fixed order:
    # the database returns unordered rows in any order, and other observations are no result.
    results = db.session.scalars(select(RecordItem.id).where(
        RecordItem.patient_id == user.patient_id, is_result()).order_by(RecordItem.id)).all()
    pages += [f"/record/results/{item_id}" for item_id in results][:6]
    pages += [f"/record/visits/{i.id}" for i in items if i.kind == "encounter"][:3]
    checked = 0
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))
        for item in items:
            english, translated = names.get((item.code_system, item.code), (None, None))
            if translated is None or translated == item.title:
                continue
            shown = page.count(f">{item.title}<") + page.count(f"({item.title})")
            if shown:
                checked += 1
                assert translated in page, (path, item.title, translated)
        for english, translated in names.values():
            if english != translated:
                assert f">{english}<" not in page, (path, english)
    assert checked > 20


@pytest.mark.parametrize("language", ["nl", "pl"])
def test_no_english_name_on_an_imported_synthea_record(app, db, clinic, language):
    from portal.fhir.importer import import_file
    from portal.models import Patient

    load_starter()
    result = import_file(min(SHARED.glob("*.json"), key=lambda path: path.stat().st_size))
    assert result.error is None
    patient = db.session.scalar(select(Patient).where(
        Patient.patient_number == result.patient_number))
    _check_pages(app.test_client(), make_user(patient=patient, locale=language))


def test_the_fhir_download_keeps_the_coding_and_adds_valid_translations(client, dutch):
    from portal.fhir import validity

    coding = {"system": LOINC, "code": "2093-3", "display": "Total Cholesterol"}
    add_item(dutch.patient, title="Total Cholesterol", code="2093-3", resource={
        "resourceType": "Observation", "id": "chol", "status": "final",
        "code": {"coding": [coding], "text": "Total Cholesterol"},
        "subject": {"reference": "Patient/x"}, "valueQuantity": {"value": 5.2}})
    login_as(client, dutch)
    bundle = json.loads(client.get("/record/download", query_string={
        "format": "fhir", "scope": "all"}).data)
    assert next(validity.problems(bundle), None) is None
    observation = next(e["resource"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    sent = observation["code"]["coding"][0]
    assert {key: sent[key] for key in ("system", "code", "display")} == coding
    translations = {part["extension"][0]["valueCode"]: part["extension"][1]["valueString"]
                    for part in sent["_display"]["extension"]}
    assert translations == {"nl": "Totaal cholesterol", "pl": "Cholesterol całkowity"}
    stored = db.session.scalar(select(RecordItem.resource).where(RecordItem.code == "2093-3"))
    assert "_display" not in json.dumps(stored)


def test_repeat_prescription_requests_name_the_medicine_in_the_readers_language(client, dutch):
    from portal.messages.models import RepeatRequest

    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    medicine = add_item(dutch.patient, "medication", title="Simvistatin 10 MG", code="316672",
                        code_system=rxnorm, status="active")
    other = add_item(dutch.patient, "medication", title="Ferrous sulfate", code="x-1",
                     code_system=rxnorm, status="active")
    for item in (medicine, other):
        db.session.add(RepeatRequest(patient_id=dutch.patient_id, medication_id=item.id,
                                     medication=item.title, pharmacy="Apotheek"))
    db.session.commit()
    login_as(client, dutch)
    with count_queries() as queries:
        page = text(client.get("/prescriptions"))
    assert "Simvastatine 10 mg (Simvistatin 10 MG)" in page
    assert "Ferrous sulfate" in page
    assert queries() < 20
