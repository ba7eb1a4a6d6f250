"""The help pages cover every task, not only getting in, in three languages, with the age
rules of the clinic's jurisdiction."""

from __future__ import annotations

import pytest

from portal.clinic_setup import save_clinic
from portal.extensions import db

TASKS = {
    "en": ["Test results", "Messages to the clinic", "Appointments", "Bills and payment",
           "Acting for a child or someone else", "Age rules"],
    "nl": ["Uitslagen", "Berichten aan de kliniek", "Afspraken", "Rekeningen en betalen",
           "Namens een kind of iemand anders", "Leeftijdsregels"],
    "pl": ["Wyniki badań", "Wiadomości do przychodni", "Wizyty", "Rachunki i płatności",
           "Działanie w imieniu dziecka lub innej osoby", "Zasady wiekowe"],
}


@pytest.mark.parametrize("lang", ["en", "nl", "pl"])
def test_the_help_covers_every_task_in_each_language(client, clinic, lang):
    client.set_cookie("lang", lang)
    page = client.get("/help/using-the-portal").get_data(as_text=True)
    for heading in TASKS[lang]:
        assert heading in page, (lang, heading)
    assert f'<html lang="{lang}"' in page


@pytest.mark.parametrize("preset, words", [
    ("nl", ["Dutch rules", "until the child turns 16", "From 12, the child must agree"]),
    ("pl", ["Polish rules", "until the child turns 18", "From 16, a child can have"]),
])
def test_the_age_rules_are_the_clinics(client, clinic, preset, words):
    save_clinic(proxy_age_preset=preset)
    db.session.commit()
    page = client.get("/help/using-the-portal").get_data(as_text=True)
    for text in words:
        assert text in page, text
    assert 'href="/help/using-the-portal"' in client.get("/help/questions").get_data(
        as_text=True)
