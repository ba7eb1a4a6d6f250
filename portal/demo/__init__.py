"""The demo clinic: staff of every role and patients who read English, Dutch or Polish.

Loading it twice changes nothing. Invitation codes are fixed so that `make run` can
print them every time; a real clinic's codes are random (see auth/invitations.py).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.auth.invitations import code_hash, grouped
from portal.auth.models import Invitation
from portal.clinic_setup import save_clinic
from portal.demo import family as family_demo
from portal.demo.records import load_demo_records
from portal.extensions import db
from portal.models import Patient, User
from portal.security import hash_password
from portal.terminology.services import load_starter
from portal.types import utcnow

DEMO_PASSWORD = "demo-portal-2026"
#: Staff must use a second factor; the demo staff share this authenticator key.
DEMO_TOTP_SECRET = "KRUGKIDQN5ZHIYLMEBSGK3LPEBZWKY3S"

CLINIC = dict(
    name="Linden Health Centre",
    phone="+31 20 555 0142",
    email="desk@linden-health.example",
    address="Lindengracht 21, 1015 KB Amsterdam",
    emergency_number="112",
    timezone="Europe/Amsterdam",
    default_locale="en",
    reply_days=2,
    patient_categories=["gp"],
    currency="EUR",
)

STAFF = [
    # username, display name, role, e-mail
    ("admin", "Eva Mulder", "admin", "eva.mulder@linden-health.example"),
    ("dr.jansen", "Dr Pieter Jansen", "clinician", "p.jansen@linden-health.example"),
    ("frontdesk", "Agnieszka Nowicka", "front_desk", "a.nowicka@linden-health.example"),
    ("billing", "Thomas Reed", "billing", "t.reed@linden-health.example"),
]

# number, given, family, birth date, sex, language, address, postal code, city, country
PATIENTS = [
    ("P-100001", "Oliver", "Bennett", date(1984, 3, 14), "male", "en",
     "12 Mill Lane", "CB1 2AB", "Cambridge", "GB"),
    ("P-100002", "Amelia", "Clarke", date(1991, 7, 2), "female", "en",
     "4 Orchard Close", "OX2 6TP", "Oxford", "GB"),
    ("P-100003", "Harry", "Wright", date(2017, 11, 23), "male", "en",
     "8 Station Road", "YO1 7HH", "York", "GB"),
    ("P-100004", "Grace", "Thompson", date(1953, 1, 30), "female", "en",
     "27 Church Street", "BA1 1LY", "Bath", "GB"),
    ("P-100005", "Jack", "Evans", date(2010, 5, 9), "male", "en",
     "3 Harbour View", "CF10 5AL", "Cardiff", "GB"),
    ("P-100006", "Sanne", "de Vries", date(1988, 9, 17), "female", "nl",
     "Prinsengracht 112", "1015 EA", "Amsterdam", "NL"),
    ("P-100007", "Daan", "Jansen", date(2015, 2, 4), "male", "nl",
     "Vondelstraat 45", "1054 GJ", "Amsterdam", "NL"),
    ("P-100008", "Lotte", "Bakker", date(1975, 12, 1), "female", "nl",
     "Oudegracht 230", "3511 NV", "Utrecht", "NL"),
    ("P-100009", "Bram", "van Dijk", date(2009, 6, 21), "male", "nl",
     "Lange Voorhout 8", "2514 ED", "Den Haag", "NL"),
    ("P-100010", "Femke", "Visser", date(1962, 4, 12), "female", "nl",
     "Witte de Withstraat 61", "3012 BN", "Rotterdam", "NL"),
    ("P-100011", "Noah", "Smit", date(2020, 8, 30), "male", "nl",
     "Kerkstraat 19", "5611 GH", "Eindhoven", "NL"),
    ("P-100012", "Anouk", "Meijer", date(1996, 10, 5), "female", "nl",
     "Grote Markt 3", "9711 LV", "Groningen", "NL"),
    ("P-100013", "Katarzyna", "Nowak", date(1983, 6, 8), "female", "pl",
     "ul. Długa 14", "80-827", "Gdańsk", "PL"),
    ("P-100014", "Jakub", "Kowalski", date(2014, 3, 27), "male", "pl",
     "ul. Floriańska 22", "31-021", "Kraków", "PL"),
    ("P-100015", "Zofia", "Wiśniewska", date(1947, 9, 3), "female", "pl",
     "ul. Piotrkowska 101", "90-425", "Łódź", "PL"),
    ("P-100016", "Piotr", "Wójcik", date(1979, 1, 19), "male", "pl",
     "ul. Świdnicka 8", "50-066", "Wrocław", "PL"),
    ("P-100017", "Maja", "Kamińska", date(2012, 12, 12), "female", "pl",
     "ul. Półwiejska 5", "61-888", "Poznań", "PL"),
    ("P-100018", "Tomasz", "Lewandowski", date(1990, 4, 25), "male", "pl",
     "ul. Marszałkowska 77", "00-683", "Warszawa", "PL"),
    ("P-100019", "Aleksandra", "Zielińska", date(2005, 7, 16), "female", "pl",
     "ul. Mariacka 3", "40-014", "Katowice", "PL"),
    ("P-100020", "Emma", "Hendriks", date(2024, 2, 11), "female", "nl",
     "Breestraat 150", "2311 CZ", "Leiden", "NL"),
    ("P-100021", "Samuel", "Okafor", date(1969, 11, 2), "male", "en",
     "Zeeburgerdijk 400", "1095 AD", "Amsterdam", "NL"),
    ("P-100022", "Marek", "Dąbrowski", date(1958, 8, 14), "male", "pl",
     "ul. Grodzka 40", "20-112", "Lublin", "PL"),
]

#: Patients of another category: the portal explains why they have no account.
OTHER_CATEGORY = {"P-100022": "polyclinic"}

#: Patients with an account: patient number -> username.
ACCOUNTS = {"P-100001": "oliver", "P-100004": "grace", "P-100006": "sanne",
            "P-100010": "femke", "P-100013": "kasia", "P-100016": "piotr"}

#: Patients holding an unused invitation: patient number -> fixed demo code.
INVITATIONS = {"P-100002": "KM4Q7RTXAC", "P-100008": "VW3HJ9PDEF",
               "P-100018": "NTY6CGKA4M", "P-100021": "XHRA97MQWE"}


def _email(given: str, family: str) -> str:
    local = f"{given}.{family}".lower().replace(" ", "")
    return local.encode("ascii", "ignore").decode() + "@mail.example"


def _load_area_demos(patients: dict[str, Patient]) -> None:
    """Each area's own demo data (messages, appointments, forms, billing, family)."""
    from portal.demo import appointments, billing, messages, questionnaires

    staff = {user.username: user for user in db.session.scalars(
        select(User).where(User.username.in_([s[0] for s in STAFF])))}
    for area in (messages, appointments, questionnaires, billing, family_demo):
        area.load(patients, staff)
    db.session.commit()


def load_demo() -> dict:
    """Load the demo clinic, staff and patients; return what a person needs to sign in."""
    save_clinic(**CLINIC)
    password_hash = hash_password(DEMO_PASSWORD)
    existing_users = set(db.session.scalars(select(User.username)))
    for username, name, role, email in STAFF:
        if username not in existing_users:
            db.session.add(User(username=username, display_name=name, role=role, email=email,
                                password_hash=password_hash, locale=None,
                                second_factor="totp", totp_secret=DEMO_TOTP_SECRET,
                                email_verified_at=utcnow()))
    patients = {p.patient_number: p for p in db.session.scalars(select(Patient))}
    for number, given, family, born, sex, locale, line, postal, city, country in PATIENTS:
        if number in patients:
            continue
        patient = Patient(patient_number=number, given_name=given, family_name=family,
                          birth_date=born, sex=sex, preferred_locale=locale,
                          email=_email(given, family), phone="+31 6 5550 " + number[-4:],
                          address_line=line, postal_code=postal, city=city, country=country,
                          category=OTHER_CATEGORY.get(number, "gp"))
        db.session.add(patient)
        patients[number] = patient
        if number in ACCOUNTS:
            db.session.add(User(username=ACCOUNTS[number], display_name=patient.full_name,
                                role="patient", email=patient.email, patient=patient,
                                password_hash=password_hash, locale=locale,
                                email_verified_at=utcnow()))
        if number in INVITATIONS:
            db.session.add(Invitation(patient=patient, code_hash=code_hash(INVITATIONS[number]),
                                      channel="letter",
                                      expires_at=utcnow() + timedelta(days=365)))
    db.session.commit()
    load_starter()
    load_demo_records()
    _load_area_demos(patients)
    return {
        "password": DEMO_PASSWORD,
        "totp_secret": DEMO_TOTP_SECRET,
        "staff": [(username, role) for username, _, role, _ in STAFF],
        "patients": [(ACCOUNTS[number], number) for number in ACCOUNTS],
        "proxies": [(family_demo.PARENT[0], family_demo.CHILD)],
        "invitations": [(number, grouped(code)) for number, code in INVITATIONS.items()],
    }
