"""Reading FHIR data types: concepts, numbers, times, and a resource's content hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal


def content_hash(resource: dict) -> str:
    """The sha256 of the resource's canonical JSON: equal content, equal hash."""
    canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def first_coding(concept: dict | None) -> dict:
    """The first coding of a CodeableConcept, or an empty dict."""
    return ((concept or {}).get("coding") or [{}])[0]


def concept_text(concept: dict | None) -> str | None:
    """What a CodeableConcept says in words: its text, else its first coding's display."""
    return (concept or {}).get("text") or first_coding(concept).get("display")


def concept_code(concept: dict | None) -> str | None:
    """The first code of a CodeableConcept."""
    return first_coding(concept).get("code")


def number(value) -> Decimal | None:
    """A JSON number as a Decimal with every digit received.

    The JSON parser hands floats; `str()` of a float gives the shortest text that reads
    back as the same float, which for JSON as written by a clinic's system is the text
    received (94.03117346500946 stays 94.03117346500946).
    """
    if value is None or isinstance(value, bool):
        return None
    return Decimal(str(value))


def parse_time(value: str | None) -> datetime | None:
    """A FHIR date or dateTime as an aware UTC datetime; a date alone means its midnight UTC."""
    if not value:
        return None
    if len(value) <= 10:  # "2019", "2019-05" or "2019-05-22"
        year, month, day = (value.split("-") + ["1", "1"])[:3]
        return datetime(int(year), int(month), int(day), tzinfo=UTC)
    moment = datetime.fromisoformat(value)
    # FHIR requires a zone whenever there is a time; treat a missing one as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
