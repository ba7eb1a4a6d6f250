"""Staff find, add and change the names patients read; an import names the codes lacking one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.fhir.importer import import_files
from portal.fhir.report import report_lines
from portal.terminology.models import Term
from portal.terminology.services import load_starter
from tests.conftest import login_as, make_user, post_form
from tests.records.fhir_bundles import SHARED
from tests.records.test_views import add_item, text


@pytest.fixture
def clinician(client, clinic):
    load_starter()
    user = make_user(role="clinician", locale="en")
    login_as(client, user)
    return user


def test_staff_find_entries_by_code_or_name_a_page_at_a_time(client, clinician):
    page = text(client.get("/staff/terms"))
    assert "entries" in page and "Next page" in page
    found = text(client.get("/staff/terms", query_string={"q": "cholesterol"}))
    assert "Totaal cholesterol" in found and "Hives" not in found
    assert "2093-3" in text(client.get("/staff/terms", query_string={"q": "2093-3"}))
    assert client.get("/staff/terms", query_string={"page": "99"}).status_code == 200


def test_staff_change_an_entry_and_bad_input_gets_a_message(client, clinician):
    term = db.session.scalar(select(Term).where(Term.code == "2093-3"))
    url = f"/staff/terms/{term.id}"
    data = {"name_en": "Cholesterol", "name_nl": "", "name_pl": "Cholesterol",
            "explanation_en": "", "explanation_nl": "", "explanation_pl": ""}
    bad = post_form(client, url, data)
    assert bad.status_code == 422 and "Enter a name." in text(bad)
    good = post_form(client, url, {**data, "name_nl": "Cholesterol (totaal)"})
    assert good.status_code == 303
    db.session.refresh(term)
    assert term.name_nl == "Cholesterol (totaal)" and term.updated_by_id == clinician.id
    assert term.code == "2093-3" and term.system == "http://loinc.org"


def test_staff_add_an_entry_for_a_code_seen_in_a_record(client, clinician):
    patient = make_user().patient
    add_item(patient, title="Ferritin", code="2276-4")
    listed = client.get("/staff/terms").get_data(as_text=True)
    assert "Add 2276-4: Ferritin" in listed
    form = client.get("/staff/terms/new", query_string={
        "system": "http://loinc.org", "code": "2276-4", "name": "Ferritin"}).get_data(as_text=True)
    assert 'value="Ferritin"' in form and 'value="2276-4"' in form
    data = {"system": "http://loinc.org", "code": "2276-4", "name_en": "Iron stores (ferritin)",
            "name_nl": "IJzervoorraad (ferritine)", "name_pl": "Zapasy żelaza (ferrytyna)",
            "explanation_en": "How much iron the body has stored.", "explanation_nl": "",
            "explanation_pl": ""}
    assert post_form(client, "/staff/terms/new", data).status_code == 303
    again = post_form(client, "/staff/terms/new", data)
    assert again.status_code == 422 and "There is already an entry for this code." in text(again)
    assert "Every code in the records has an entry." in text(client.get("/staff/terms"))


@pytest.mark.parametrize("role", ["patient", "front_desk", "billing"])
def test_only_clinicians_and_admins_edit_names(client, clinic, role):
    load_starter()
    login_as(client, make_user(role=role))
    assert client.get("/staff/terms").status_code == 404
    term_id = db.session.scalar(select(Term.id).limit(1))
    assert client.get(f"/staff/terms/{term_id}").status_code == 404


def test_an_unknown_entry_is_404(client, clinician):
    assert client.get("/staff/terms/999999").status_code == 404


def test_an_import_reports_the_codes_it_saw_without_an_entry(db, clinic):
    path = min(SHARED.glob("*.json"), key=lambda p: p.stat().st_size)
    lines = list(report_lines(import_files([path])))
    assert any("code(s) seen without a patient-friendly name" in line for line in lines)
    assert any(line.strip().startswith("http://loinc.org 8302-2 Body Height") for line in lines)
    load_starter()
    lines = list(report_lines(import_files([path])))
    assert "Every code seen has a patient-friendly name." in lines


def test_load_terminology_adds_the_starter_set_or_a_clinics_file(app, db, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "load-terminology"])
    assert first.exit_code == 0 and "new entries added" in first.output
    again = runner.invoke(args=["portal", "load-terminology"])
    assert "0 new entries added" in again.output
    own = tmp_path / "clinic.csv"
    own.write_text("system,code,name_en,name_nl,name_pl,explanation_en,explanation_nl,"
                   "explanation_pl\nhttp://loinc.org,2276-4,Iron stores,IJzervoorraad,"
                   "Zapasy żelaza,,,\n", encoding="utf-8")
    result = runner.invoke(args=["portal", "load-terminology", str(own)])
    assert "1 new entry added" in result.output
    assert db.session.scalar(select(Term.name_pl).where(Term.code == "2276-4")) == "Zapasy żelaza"
