"""A FHIR Questionnaire becomes a draft form with its wording in each language."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.questionnaires.models import Questionnaire

SAMPLE = Path(__file__).with_name("sample_questionnaire.json")


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["portal", "import-questionnaire", *args])


def test_a_fhir_questionnaire_is_imported_as_a_draft(app, clinic):
    result = _run(app, str(SAMPLE))
    assert result.exit_code == 0, result.output
    assert "with 7 questions" in result.output
    assert "intro (display)" in result.output and "photo (attachment)" in result.output
    form = db.session.scalar(select(Questionnaire))
    assert form.status == "draft" and form.fhir_version == "1.0"
    assert form.titles == {"en": "Travel health check", "nl": "Reisgezondheidscheck",
                           "pl": "Travel health check"}
    kinds = [(q.fhir_link_id, q.kind, q.required) for q in form.questions]
    assert kinds == [("destination", "text", True), ("departure", "date", False),
                     ("days", "number", False), ("vaccines", "multiple_choice", False),
                     ("pregnant", "yes_no", False), ("notes", "long_text", False),
                     ("kind", "single_choice", False)]
    destination, days, vaccines = form.questions[0], form.questions[2], form.questions[3]
    assert destination.wording == {"en": "Where are you travelling to?",
                                   "nl": "Waar reist u naartoe?", "pl": "Dokąd podróżujesz?"}
    assert (days.min_value, days.max_value) == (Decimal("1"), Decimal("365"))
    assert vaccines.options[0] == {"code": "hepa", "text": {
        "en": "Hepatitis A", "nl": "Hepatitis A", "pl": "WZW typu A"}}


def test_the_same_questionnaire_is_not_imported_twice(app, clinic):
    assert _run(app, str(SAMPLE)).exit_code == 0
    again = _run(app, str(SAMPLE))
    assert again.exit_code == 1 and "already imported" in again.output
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 1


def test_a_file_that_is_not_a_questionnaire_is_refused(app, clinic, tmp_path):
    bundle = tmp_path / "bundle.json"
    bundle.write_text('{"resourceType": "Bundle"}')
    result = _run(app, str(bundle))
    assert result.exit_code == 1 and "not a FHIR Questionnaire" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert _run(app, str(broken)).exit_code == 1
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 0


def test_the_command_explains_itself(app):
    result = app.test_cli_runner().invoke(args=["portal", "import-questionnaire", "--help"])
    assert result.exit_code == 0 and "FHIR R4 Questionnaire" in result.output
