"""The Patient resource -> the portal's Patient, and people's names for display."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.fhir.bundles import BundleError
from portal.models import Patient

#: Patient numbers given to imported patients, apart from the numbers the clinic hands out.
NUMBER_PREFIX = "F-"

#: Filled in from the clinic's system only while the portal has nothing: after that the
#: patient keeps them up to date (portal.account.services.CONTACT_FIELDS, and the e-mail
#: address, which is verified).
CONTACT_FIELDS = ("email", "phone", "address_line", "postal_code", "city", "country")

_TRAILING_DIGITS = re.compile(r"(?<=\D)\d+$")


def clean_name(part: str | None) -> str:
    """A name part as sent, without trailing digits ("Beatriz44" -> "Beatriz").

    Synthea makes its generated names unique by appending digits. No real given or family
    name ends in digits, so stripping them cannot damage a real name; the rest (accents,
    spaces, hyphens, capitals) is kept exactly as the clinic's system sent it.
    """
    return _TRAILING_DIGITS.sub("", (part or "").strip())


def _chosen_name(resource: dict) -> dict | None:
    """The official name, else the usual one, else the first."""
    names = resource.get("name") or []
    for use in ("official", "usual"):
        for name in names:
            if name.get("use") == use:
                return name
    return names[0] if names else None


def person_name(resource: dict) -> str | None:
    """A Practitioner's or Patient's name on one line: prefix, given names, family name."""
    name = _chosen_name(resource)
    if name is None:
        return None
    if name.get("text"):
        return name["text"]
    parts = [*(name.get("prefix") or []), *map(clean_name, name.get("given") or []),
             clean_name(name.get("family"))]
    return " ".join(part for part in parts if part) or None


def patient_fields(resource: dict) -> dict:
    """The Patient columns the resource fills, or BundleError when name or birth date lack."""
    name = _chosen_name(resource)
    if name is None or not (name.get("family") or name.get("given")):
        raise BundleError("the Patient has no name")
    if not resource.get("birthDate"):
        raise BundleError("the Patient has no birth date")
    year, month, day = (resource["birthDate"].split("-") + ["1", "1"])[:3]
    telecom = resource.get("telecom") or []
    addresses = resource.get("address") or []
    address = next((a for a in addresses if a.get("use") == "home"),
                   addresses[0] if addresses else {})
    country = address.get("country")
    return {
        "given_name": clean_name((name.get("given") or [""])[0])[:100],
        "family_name": clean_name(name.get("family"))[:100],
        "birth_date": date(int(year), int(month), int(day)),
        "sex": resource.get("gender") or "unknown",
        "email": next((t.get("value") for t in telecom if t.get("system") == "email"), None),
        "phone": next((t.get("value")[:40] for t in telecom
                       if t.get("system") == "phone" and t.get("value")), None),
        "address_line": ((address.get("line") or [None])[0] or None),
        "postal_code": address.get("postalCode"),
        "city": address.get("city"),
        # The column holds ISO 3166 alpha-2 codes; a country written out is left out
        # rather than guessed at.
        "country": country.upper() if isinstance(country, str) and len(country) == 2 else None,
    }


def save_patient(resource: dict, fhir_id: str) -> tuple[Patient, bool]:
    """Create the Patient with this fhir id, or update the one there is; True when created.

    Only values that differ are set, so an unchanged Patient issues no UPDATE. Name,
    birth date and sex follow the clinic's system; contact details only fill blanks.
    """
    fields = patient_fields(resource)
    patient = db.session.scalar(select(Patient).where(Patient.fhir_id == fhir_id))
    if patient is None:
        patient = Patient(fhir_id=fhir_id, patient_number=_next_number(), **fields)
        db.session.add(patient)
        db.session.flush()
        return patient, True
    for column, value in fields.items():
        if column in CONTACT_FIELDS and getattr(patient, column) is not None:
            continue
        if value is not None and getattr(patient, column) != value:
            setattr(patient, column, value)
    return patient, False


def _next_number() -> str:
    """The next free imported-patient number: F-000001, F-000002, ..."""
    pattern = NUMBER_PREFIX + "_" * 6
    last = db.session.scalar(select(func.max(Patient.patient_number))
                             .where(Patient.patient_number.like(pattern)))
    following = int(last[len(NUMBER_PREFIX):]) + 1 if last and last[2:].isdigit() else 1
    return f"{NUMBER_PREFIX}{following:06d}"
