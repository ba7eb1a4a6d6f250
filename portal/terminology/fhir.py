"""The friendly names in the FHIR download: a translation extension on the coding's display.

The clinic's coding stays exactly as sent (system, code, display); the names patients read
in Dutch and Polish ride along as the standard translation extension on `display`, which
the R4 models accept (a test checks the downloads with them).
"""

from __future__ import annotations

import copy

from portal.terminology.services import _terms

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
#: The languages added as translations (the source's own display is in English).
TRANSLATED = ("nl", "pl")
#: The element naming each kind of item (as the importer reads it), where it is not `code`.
TITLE_FIELD = {"MedicationRequest": "medicationCodeableConcept", "Immunization": "vaccineCode",
               "Encounter": "type"}


def with_translations(resource: dict, item) -> dict:
    """`resource`, or a copy whose naming coding carries the friendly names as translations."""
    entry = _terms().get((item.code_system, item.code)) if item.code else None
    if entry is None:
        return resource
    concept = resource.get(TITLE_FIELD.get(resource.get("resourceType"), "code"))
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    codings = (concept or {}).get("coding") or []
    index = next((i for i, coding in enumerate(codings) if coding.get("code") == item.code
                  and coding.get("system") == item.code_system), None)
    if index is None:
        return resource
    resource = copy.deepcopy(resource)  # the stored resource stays as the clinic sent it
    concept = resource[TITLE_FIELD.get(resource["resourceType"], "code")]
    coding = (concept[0] if isinstance(concept, list) else concept)["coding"][index]
    coding["_display"] = {"extension": [
        {"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": language},
                                           {"url": "content",
                                            "valueString": entry.names[language]}]}
        for language in TRANSLATED]}
    return resource
