"""How to take a medicine, built from the structured FHIR Dosage in the reader's language."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from portal.records.dosage import dosage_words
from portal.terminology.services import friendly, load_starter
from tests.conftest import login_as, make_user
from tests.records.test_views import add_item, text

TABLETS = {"doseAndRate": [{"doseQuantity": {"value": 2, "unit": "tablets"}}],
           "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
           "asNeededBoolean": True, "text": "2 tablets three times a day when needed"}


def words(dosage: dict, language: str) -> str | None:
    with force_locale(language):
        return dosage_words(dosage, friendly)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "2 tablets, 3 times a day, when needed"),
    ("nl", "2 tabletten, 3 keer per dag, zo nodig"),
    ("pl", "2 tabletki, 3 razy dziennie, w razie potrzeby"),
])
def test_the_structure_reads_in_the_readers_language(app, language, expected):
    with app.test_request_context():
        assert words(TABLETS, language) == expected


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 tabletka"), (2, "2 tabletki"), (4, "4 tabletki"), (5, "5 tabletek"),
    (12, "12 tabletek"), (22, "22 tabletki"), (25, "25 tabletek"), (0.5, "0,5 tabletki")])
def test_polish_plurals_of_a_dose(app, count, expected):
    with app.test_request_context():
        assert words({"doseAndRate": [{"doseQuantity": {"value": count, "unit": "tablet"}}]},
                     "pl") == expected


def test_free_text_shows_only_without_structure(app):
    with app.test_request_context():
        assert words({"text": "1 tablet every morning"}, "nl") == "1 tablet every morning"
        assert words({"text": "1 tablet every morning", "asNeededBoolean": False}, "pl") \
            == "1 tablet every morning"
        assert "tablets" not in words(TABLETS, "pl")


def test_every_few_hours_a_timing_code_when_and_a_coded_route(db, app, clinic):
    load_starter()
    with app.test_request_context():
        assert words({"timing": {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}}},
                     "pl") == "co 8 godzin"
        assert words({"timing": {"code": {"coding": [{"code": "BID"}]}}}, "nl") \
            == "2 keer per dag"
        assert words({"doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mL"}}],
                      "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                            "when": ["EVE"]}},
                      "route": {"coding": [{"system": "http://snomed.info/sct",
                                            "code": "26643006", "display": "Oral"}]}},
                     "pl") == "5 ml, raz dziennie, wieczorem, doustnie"


def test_the_medicines_page_shows_the_dosage_in_polish(client, clinic):
    user = make_user(locale="pl")
    add_item(user.patient, "medication", title="Paracetamol", status="active",
             resource={"resourceType": "MedicationRequest", "dosageInstruction": [TABLETS]},
             details={"dosage": TABLETS["text"]})
    login_as(client, user)
    page = text(client.get("/record/medications"))
    assert "2 tabletki, 3 razy dziennie, w razie potrzeby" in page
    assert "2 tablets" not in page
