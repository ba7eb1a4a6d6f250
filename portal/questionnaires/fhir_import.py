"""Import a FHIR R4 Questionnaire as a draft form.

Items of type string, text, integer, decimal, date, choice, open-choice and boolean
become questions; groups are flattened in order; other items are skipped and named.
Wording comes from the item's text and, when present, the FHIR translation extension;
a language without a translation gets the same text as the source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.questionnaires.models import Question, Questionnaire

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
LANGUAGES = ("en", "nl", "pl")
KINDS = {"string": "text", "text": "long_text", "integer": "number", "decimal": "number",
         "date": "date", "choice": "single_choice", "open-choice": "single_choice",
         "boolean": "yes_no"}


class QuestionnaireImportError(ValueError):
    """The file cannot be imported; the message says why."""


@dataclass
class Imported:
    questionnaire: Questionnaire
    skipped: list[str] = field(default_factory=list)


def _texts(text: str | None, element: dict | None) -> dict:
    """{"en", "nl", "pl"} from a FHIR string and its `_<name>` translation extensions."""
    text = (text or "").strip()
    found = {lang: text for lang in LANGUAGES} if text else {}
    for extension in (element or {}).get("extension", []):
        if extension.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in extension.get("extension", [])}
        lang = str(parts.get("lang", {}).get("valueCode", ""))[:2].lower()
        content = str(parts.get("content", {}).get("valueString", "")).strip()
        if lang in LANGUAGES and content:
            found[lang] = content
    return found


def _limit(item: dict, url: str) -> Decimal | None:
    for extension in item.get("extension", []):
        if extension.get("url") == url:
            value = extension.get("valueInteger", extension.get("valueDecimal"))
            try:
                return Decimal(str(value))
            except (InvalidOperation, TypeError):
                return None
    return None


def _options(item: dict) -> list:
    options = []
    for n, option in enumerate(item.get("answerOption", []), start=1):
        coding = option.get("valueCoding")
        if coding:
            text = _texts(coding.get("display") or coding.get("code"), coding.get("_display"))
            options.append({"code": str(coding.get("code") or n), "text": text})
        elif "valueString" in option:
            options.append({"code": str(n), "text": _texts(option["valueString"],
                                                           option.get("_valueString"))})
    return options


def _questions(items: list, skipped: list[str]) -> list[Question]:
    found: list[Question] = []
    for item in items:
        kind = KINDS.get(item.get("type"))
        if item.get("type") == "group":
            found += _questions(item.get("item", []), skipped)
            continue
        wording = _texts(item.get("text"), item.get("_text"))
        if kind is None or not wording:
            skipped.append(f"{item.get('linkId', '?')} ({item.get('type', 'no type')})")
            continue
        if kind == "single_choice" and item.get("repeats"):
            kind = "multiple_choice"
        options = _options(item) if kind in ("single_choice", "multiple_choice") else []
        if kind in ("single_choice", "multiple_choice") and len(options) < 2:
            skipped.append(f"{item.get('linkId', '?')} (fewer than two answer options)")
            continue
        found.append(Question(kind=kind, required=bool(item.get("required")), wording=wording,
                              help={}, options=options, fhir_link_id=item.get("linkId"),
                              min_value=_limit(item, MIN_VALUE) if kind == "number" else None,
                              max_value=_limit(item, MAX_VALUE) if kind == "number" else None))
    return found


def import_questionnaire(path: Path) -> Imported:
    """Read one Questionnaire file and store it as a draft form (audited, one commit)."""
    try:
        resource = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise QuestionnaireImportError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireImportError(f"{path}: not a FHIR Questionnaire")
    url, version = resource.get("url"), resource.get("version")
    if url and db.session.scalar(select(Questionnaire.id).where(
            Questionnaire.fhir_url == url, Questionnaire.fhir_version == version)):
        raise QuestionnaireImportError(
            f"{path}: {url} {version or ''}".rstrip() + " is already imported")
    skipped: list[str] = []
    questions = _questions(resource.get("item", []), skipped)
    if not questions:
        raise QuestionnaireImportError(f"{path}: no question the portal can ask")
    titles = _texts(resource.get("title") or resource.get("name"), resource.get("_title"))
    for position, question in enumerate(questions, start=1):
        question.position = position
    form = Questionnaire(status="draft", titles=titles or {"en": Path(path).stem},
                         intros=_texts(resource.get("description"), resource.get("_description")),
                         fhir_url=url, fhir_version=version, questions=questions)
    db.session.add(form)
    db.session.flush()
    audit.record(audit.Action.QUESTIONNAIRE_IMPORTED,
                 target=f"questionnaire:{form.id}:{Path(path).name}")
    db.session.commit()
    return Imported(form, skipped)
