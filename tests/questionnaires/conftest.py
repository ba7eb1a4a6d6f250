"""A form in use with one question of every kind, and the patient who has it to fill in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.questionnaires.models import FormResponse, Question, Questionnaire


def words(en: str, nl: str, pl: str) -> dict:
    return {"en": en, "nl": nl, "pl": pl}


def make_questionnaire(status: str = "active") -> Questionnaire:
    """A small health form: one question of each kind, two of them required."""
    form = Questionnaire(status=status, titles=words("Before your visit", "Voor uw bezoek",
                                                     "Przed wizytą"),
                         intros=words("A few questions.", "Een paar vragen.", "Kilka pytań."))
    form.questions = [
        Question(position=1, kind="text", required=True,
                 wording=words("What is the reason for your visit?",
                               "Wat is de reden van uw bezoek?", "Jaki jest powód wizyty?")),
        Question(position=2, kind="number", required=False, min_value=Decimal("30"),
                 max_value=Decimal("300"),
                 wording=words("Your weight in kg", "Uw gewicht in kg", "Twoja waga w kg")),
        Question(position=3, kind="date", wording=words("When did it start?",
                                                        "Wanneer begon het?",
                                                        "Kiedy to się zaczęło?")),
        Question(position=4, kind="single_choice", required=True,
                 wording=words("How do you feel?", "Hoe voelt u zich?", "Jak się czujesz?"),
                 options=[{"code": "1", "text": words("Well", "Goed", "Dobrze")},
                          {"code": "2", "text": words("Unwell", "Niet goed", "Źle")}]),
        Question(position=5, kind="multiple_choice",
                 wording=words("Which apply?", "Wat is van toepassing?", "Co dotyczy?"),
                 options=[{"code": "1", "text": words("Fever", "Koorts", "Gorączka")},
                          {"code": "2", "text": words("Cough", "Hoest", "Kaszel")}]),
        Question(position=6, kind="yes_no", wording=words("Do you smoke?", "Rookt u?",
                                                          "Czy palisz?")),
        Question(position=7, kind="long_text", wording=words("Anything else?", "Verder nog iets?",
                                                             "Coś jeszcze?")),
    ]
    db.session.add(form)
    db.session.commit()
    return form


def give(patient, questionnaire) -> FormResponse:
    response = FormResponse(patient_id=patient.id, questionnaire_id=questionnaire.id,
                            answers={})
    db.session.add(response)
    db.session.commit()
    return response


def field(questionnaire, position: int) -> str:
    """The form field name of the question at `position`."""
    return f"q{questionnaire.questions[position - 1].id}"


@pytest.fixture
def questionnaire(clinic):
    return make_questionnaire()
