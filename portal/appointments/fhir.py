"""Referrals from imported records: which FHIR ServiceRequests are referrals, and storing them.

The rule, for each ServiceRequest that is an entry of the bundle (top level):

- it is a referral when a `category` or its `code` carries SNOMED CT 3457005 "Patient
  referral", or has "referral" in its text or in a coding's display;
- or, when it has no category at all, when its `intent` is "order" or "plan" and it names
  a `performer`: an order addressed to someone. A categorised request (laboratory,
  imaging, ...) is never a referral by this second part.

ServiceRequests that only live in the `contained` list of another resource are never
read: Synthea puts a code-less "referral" stub (status completed, intent order, the
requester as performer) inside each ExplanationOfBenefit, which says nothing a patient
could follow.

Called by the FHIR importer inside its transaction, in a fixed number of statements: none
when the bundle holds no referral, else one query for the patient's imported referrals and
at most one insert, one update and one delete. Staff-entered referrals (no fhir id) are
never read or written here.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, insert, select, update

from portal.appointments.models import Referral
from portal.extensions import db
from portal.fhir.bundles import Bundle, BundleError
from portal.fhir.datatypes import concept_code, concept_text, content_hash
from portal.fhir.patients import person_name
from portal.types import utcnow

SNOMED = "http://snomed.info/sct"
PATIENT_REFERRAL = "3457005"
#: Intents that are a decision to refer rather than a proposal or an option.
REFERRAL_INTENTS = ("order", "plan")

#: FHIR ServiceRequest status -> the referral's status (portal.appointments.referrals).
#: entered-in-error is missing on purpose: such a referral was never made, so it is not
#: shown, and a row imported from it earlier is removed.
STATUS_OF = {"draft": "requested", "active": "requested", "on-hold": "requested",
             "unknown": "requested", "completed": "completed", "revoked": "cancelled"}

REFERRED_TO_LENGTH = Referral.__table__.c.referred_to.type.length


def _says_referral(concept: dict | None) -> bool:
    """Whether a CodeableConcept names a referral (by SNOMED code or in words)."""
    concept = concept or {}
    if "referral" in (concept.get("text") or "").lower():
        return True
    return any((coding.get("system") == SNOMED and coding.get("code") == PATIENT_REFERRAL)
               or "referral" in (coding.get("display") or "").lower()
               for coding in concept.get("coding") or [])


def is_referral(resource: dict) -> bool:
    """Whether a top-level ServiceRequest is a referral, by the rule in the module's doc."""
    categories = resource.get("category") or []
    if any(_says_referral(concept) for concept in [*categories, resource.get("code")]):
        return True
    return (not categories and resource.get("intent") in REFERRAL_INTENTS
            and bool(resource.get("performer")))


def _referred_to(resource: dict, bundle: Bundle) -> str | None:
    """To whom: a performer's name, else the kind of performer, else what is asked for."""
    for performer in resource.get("performer") or []:
        found = bundle.resolve(performer, resource) or {}
        name = performer.get("display") or found.get("name")
        if isinstance(name, list):  # a Practitioner's or RelatedPerson's HumanName list
            name = person_name(found)
        if name:
            return name
    code = resource.get("code")
    generic = concept_code(code) == PATIENT_REFERRAL and not (code or {}).get("text")
    return (concept_text(resource.get("performerType"))
            or (None if generic else concept_text(code)))


def _reason(resource: dict, bundle: Bundle) -> str:
    """Why, from coded reasons only: notes and instructions may be meant for the clinic."""
    reasons = [concept_text(concept) for concept in resource.get("reasonCode") or []]
    if not any(reasons):
        reasons = [concept_text((bundle.resolve(reference, resource) or {}).get("code"))
                   for reference in resource.get("reasonReference") or []]
    return "; ".join(dict.fromkeys(reason for reason in reasons if reason))


def _referred_on(resource: dict) -> date:
    """The day as the sender wrote it (no time-zone shift); the import's day if none."""
    period = resource.get("occurrencePeriod") or {}
    for value in (resource.get("authoredOn"), resource.get("occurrenceDateTime"),
                  period.get("start")):
        if isinstance(value, str) and value:
            year, month, day = (value[:10].split("-") + ["1", "1"])[:3]
            return date(int(year), int(month), int(day))
    return utcnow().date()


def referral_values(resource: dict, bundle: Bundle) -> dict | None:
    """The Referral columns of a referral ServiceRequest; None when it is not to be shown.

    Not shown: entered-in-error (or a status FHIR does not define), and a referral that
    names no one and nothing it is to.
    """
    status = STATUS_OF.get(resource.get("status"))
    referred_to = _referred_to(resource, bundle)
    if status is None or not referred_to:
        return None
    if len(referred_to) > REFERRED_TO_LENGTH:
        referred_to = referred_to[: REFERRED_TO_LENGTH - 1] + "…"
    values = {"referred_to": referred_to, "reason": _reason(resource, bundle),
              "status": status, "referred_on": _referred_on(resource)}
    return {**values, "content_hash": content_hash({**values,
                                                    "referred_on": str(values["referred_on"])})}


def _bundle_referrals(bundle: Bundle) -> dict[str, dict | None]:
    """fhir id -> the values of each referral in the bundle (None: not to be shown)."""
    found: dict[str, dict | None] = {}
    for fhir_id, resource in bundle.entries:  # top level only: contained stubs never count
        if resource["resourceType"] != "ServiceRequest" or not is_referral(resource):
            continue
        if fhir_id in found:
            raise BundleError(f"two ServiceRequest resources have the id {fhir_id}")
        about = resource.get("subject")
        if about is not None and bundle.resolve(about, resource) is not bundle.patient:
            raise BundleError("a ServiceRequest is about someone other than the bundle's "
                              "patient")
        found[fhir_id] = referral_values(resource, bundle)
    return found


def store_referrals(bundle: Bundle, patient_id: int) -> Counter:
    """Add, update or remove the patient's imported referrals; counts "new", "changed" and
    "unchanged".

    A row is rewritten only when the values the import would write differ from those it
    wrote last time, so a status staff set since stays until the clinic's system says
    something new about that referral.
    """
    referrals = _bundle_referrals(bundle)
    counts: Counter = Counter()
    if not referrals:
        return counts
    existing = {fhir_id: (row_id, digest) for fhir_id, row_id, digest in db.session.execute(
        select(Referral.fhir_id, Referral.id, Referral.content_hash)
        .where(Referral.patient_id == patient_id, Referral.fhir_id.in_(list(referrals))))}
    now = utcnow()
    new, changed, removed = [], [], []
    for fhir_id, values in referrals.items():
        row_id, digest = existing.get(fhir_id, (None, None))
        if values is None:
            if row_id is not None:
                removed.append(row_id)
                counts["changed"] += 1
        elif row_id is None:
            new.append({**values, "patient_id": patient_id, "fhir_id": fhir_id,
                        "updated_at": now, "created_by_id": None})
            counts["new"] += 1
        elif digest == values["content_hash"]:
            counts["unchanged"] += 1
        else:
            changed.append({**values, "id": row_id, "updated_at": now})
            counts["changed"] += 1
    if new:
        db.session.execute(insert(Referral), new)
    if changed:
        db.session.execute(update(Referral), changed)
    if removed:
        db.session.execute(delete(Referral).where(Referral.id.in_(removed)))
    return counts
