"""How to take a medicine, in the reader's language, from the structured FHIR Dosage.

The clinic's system sends a Dosage with a dose, a timing, a route and "as needed"; the
portal writes that out in the reader's language (with Polish plurals), and shows the
prescriber's free text only when there is no structure to build from, because that text
is in the language of the clinic's system. The whole resource is kept on import
(`RecordItem.resource`), so no structured field is lost; items made without a resource
dosage fall back to the `details` the importer wrote.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.i18n import fmt_number

#: Dose units as sent (UCUM annotations, words, abbreviations) -> one key below.
UNIT_KEYS = {
    "tablet": "tablet", "tablets": "tablet", "tab": "tablet", "tabs": "tablet", "{tbl}": "tablet",
    "{tablet}": "tablet", "{tablets}": "tablet",
    "capsule": "capsule", "capsules": "capsule", "cap": "capsule", "caps": "capsule",
    "{capsule}": "capsule", "{capsules}": "capsule", "{cap}": "capsule",
    "puff": "puff", "puffs": "puff", "{puff}": "puff", "{puffs}": "puff", "actuation": "puff",
    "actuations": "puff", "{actuat}": "puff", "{actuation}": "puff",
    "drop": "drop", "drops": "drop", "{drop}": "drop", "{drp}": "drop", "[drp]": "drop",
    "sachet": "sachet", "sachets": "sachet", "{sachet}": "sachet",
    "patch": "patch", "patches": "patch", "{patch}": "patch",
    "suppository": "suppository", "suppositories": "suppository", "{suppository}": "suppository",
    "application": "application", "applications": "application", "{application}": "application",
    "injection": "injection", "injections": "injection", "{injection}": "injection",
    "spray": "spray", "sprays": "spray", "{spray}": "spray",
}
#: Units that are symbols, the same in every language.
SYMBOLS = {"ml": "ml", "mL": "ml", "l": "l", "L": "l", "mg": "mg", "g": "g", "ug": "µg",
           "mcg": "µg", "µg": "µg", "[iU]": "IU", "[IU]": "IU", "IU": "IU", "U": "IU"}
#: Words of countable units, with the count (Polish has three forms).
_UNIT_WORDS = {
    "tablet": lambda n, dose: ngettext(
        "%(dose)s tablet", "%(dose)s tablets", n, dose=dose),
    "capsule": lambda n, dose: ngettext(
        "%(dose)s capsule", "%(dose)s capsules", n, dose=dose),
    "puff": lambda n, dose: ngettext(
        "%(dose)s puff", "%(dose)s puffs", n, dose=dose),
    "drop": lambda n, dose: ngettext(
        "%(dose)s drop", "%(dose)s drops", n, dose=dose),
    "sachet": lambda n, dose: ngettext(
        "%(dose)s sachet", "%(dose)s sachets", n, dose=dose),
    "patch": lambda n, dose: ngettext(
        "%(dose)s patch", "%(dose)s patches", n, dose=dose),
    "suppository": lambda n, dose: ngettext(
        "%(dose)s suppository", "%(dose)s suppositories", n, dose=dose),
    "application": lambda n, dose: ngettext(
        "%(dose)s application", "%(dose)s applications", n, dose=dose),
    "injection": lambda n, dose: ngettext(
        "%(dose)s injection", "%(dose)s injections", n, dose=dose),
    "spray": lambda n, dose: ngettext(
        "%(dose)s spray", "%(dose)s sprays", n, dose=dose),
}
#: "n times a ..." per FHIR period unit.
_TIMES_PER = {
    "h": lambda n: ngettext("once an hour", "%(num)d times an hour", n),
    "d": lambda n: ngettext("once a day", "%(num)d times a day", n),
    "wk": lambda n: ngettext("once a week", "%(num)d times a week", n),
    "mo": lambda n: ngettext("once a month", "%(num)d times a month", n),
}
#: "every n ..." per FHIR period unit.
_EVERY = {
    "min": lambda n: ngettext("every minute", "every %(num)d minutes", n),
    "h": lambda n: ngettext("every hour", "every %(num)d hours", n),
    "d": lambda n: ngettext("every day", "every %(num)d days", n),
    "wk": lambda n: ngettext("every week", "every %(num)d weeks", n),
    "mo": lambda n: ngettext("every month", "every %(num)d months", n),
    "a": lambda n: ngettext("every year", "every %(num)d years", n),
}
#: Common timing abbreviations (FHIR timing.code) -> (frequency, period, period unit).
TIMING_CODES = {"QD": (1, 1, "d"), "BID": (2, 1, "d"), "TID": (3, 1, "d"), "QID": (4, 1, "d"),
                "QOD": (1, 2, "d"), "Q4H": (1, 4, "h"), "Q6H": (1, 6, "h"), "Q8H": (1, 8, "h"),
                "WK": (1, 1, "wk"), "MO": (1, 1, "mo"), "AM": (1, 1, "d"), "PM": (1, 1, "d")}


def _when_words(code: str) -> str | None:
    """A FHIR event timing (timing.repeat.when) in words."""
    words = {
        "MORN": _("in the morning"), "AFT": _("in the afternoon"), "EVE": _("in the evening"),
        "NIGHT": _("at night"), "HS": _("at bedtime"), "WAKE": _("on waking"),
        "C": _("with a meal"), "CM": _("with breakfast"), "CD": _("with lunch"),
        "CV": _("with the evening meal"), "AC": _("before a meal"),
        "ACM": _("before breakfast"), "ACD": _("before lunch"), "ACV": _("before the evening meal"),
        "PC": _("after a meal"), "PCM": _("after breakfast"), "PCD": _("after lunch"),
        "PCV": _("after the evening meal"),
    }
    return words.get(code)


def _count(value) -> tuple[str, int]:
    """A dose in the reader's notation, and the number that picks its plural form.

    A fraction takes the form of 2 (English "0.5 tablets", Polish "0,5 tabletki").
    """
    amount = Decimal(str(value))
    whole = amount == amount.to_integral_value()
    decimals = 0 if whole else max(0, -amount.normalize().as_tuple().exponent)
    return fmt_number(amount, decimals), int(amount) if whole else 2


def dose_words(quantity: dict) -> str | None:
    """A dose ("2 tablets", "5 ml") in the reader's language."""
    if quantity.get("value") is None:
        return None
    shown, n = _count(quantity["value"])
    unit = quantity.get("unit") or quantity.get("code") or ""
    key = UNIT_KEYS.get(unit.strip().lower()) or UNIT_KEYS.get(quantity.get("code") or "")
    if key:
        return _UNIT_WORDS[key](n, shown)
    symbol = SYMBOLS.get(unit.strip(), unit.strip())
    return f"{shown} {symbol}".strip()


def timing_words(timing: dict) -> list[str]:
    """How often and when, from a FHIR Timing."""
    repeat = dict(timing.get("repeat") or {})
    code = ((timing.get("code") or {}).get("coding") or [{}])[0].get("code")
    if code in TIMING_CODES and not repeat.get("frequency"):
        repeat["frequency"], repeat["period"], repeat["periodUnit"] = TIMING_CODES[code]
    parts = []
    frequency, period = repeat.get("frequency"), repeat.get("period")
    unit = repeat.get("periodUnit")
    if frequency and period and unit:
        frequency, period = int(frequency), Decimal(str(period))
        if period == 1 and unit in _TIMES_PER:
            parts.append(_TIMES_PER[unit](frequency))
        elif frequency == 1 and unit in _EVERY and period == period.to_integral_value():
            parts.append(_EVERY[unit](int(period)))
        elif unit in _EVERY and period == period.to_integral_value():
            parts.append(_("%(times)s, %(every)s",
                           times=ngettext("once", "%(num)d times", frequency),
                           every=_EVERY[unit](int(period))))
    parts.extend(filter(None, (_when_words(when) for when in repeat.get("when") or [])))
    return parts


def dosage_words(dosage: dict, friendly=None) -> str | None:
    """One FHIR Dosage in words, or its free text when it has no structure to build from.

    `friendly(system, code, text)` gives the reader's words for a coded route or reason.
    """
    parts = []
    dose_and_rate = (dosage.get("doseAndRate") or [{}])[0]
    if dose_and_rate.get("doseQuantity"):
        parts.append(dose_words(dose_and_rate["doseQuantity"]))
    elif dose_and_rate.get("doseRange"):
        low = dose_words(dose_and_rate["doseRange"].get("low") or {})
        high = dose_words(dose_and_rate["doseRange"].get("high") or {})
        if low and high:
            parts.append(_("%(low)s to %(high)s", low=low, high=high))
    parts.extend(timing_words(dosage.get("timing") or {}))
    route = dosage.get("route")
    if route:
        parts.append(_concept_words(route, friendly))
    if dosage.get("asNeededBoolean"):
        parts.append(_("when needed"))
    elif dosage.get("asNeededCodeableConcept"):
        parts.append(_("when needed for %(reason)s",
                       reason=_concept_words(dosage["asNeededCodeableConcept"], friendly)))
    parts = [part for part in parts if part]
    if not parts:
        return dosage.get("text") or dosage.get("patientInstruction") or None
    return ", ".join(parts)


def _concept_words(concept: dict, friendly) -> str:
    coding = (concept.get("coding") or [{}])[0]
    text = concept.get("text") or coding.get("display") or coding.get("code") or ""
    if friendly is None:
        return text
    return friendly(coding.get("system"), coding.get("code"), text).name


def _from_details(details: dict) -> dict:
    """The Dosage an item's `details` describe (items made without a resource dosage)."""
    timing = details.get("dosage_timing") or {}
    dosage: dict = {"text": details.get("dosage")} if details.get("dosage") else {}
    if timing.get("dose") is not None:
        dosage["doseAndRate"] = [{"doseQuantity": {"value": timing["dose"],
                                                   "unit": timing.get("dose_unit")}}]
    if timing.get("frequency"):
        dosage["timing"] = {"repeat": {"frequency": timing["frequency"],
                                       "period": timing.get("period"),
                                       "periodUnit": timing.get("period_unit")}}
    if timing.get("as_needed"):
        dosage["asNeededBoolean"] = True
    return dosage


def dosage_text(item, friendly=None) -> str | None:
    """How to take the medicine of `item`, in the reader's language; None when not given."""
    resource = item.resource or {}
    dosages = resource.get("dosageInstruction") or [_from_details(item.details or {})]
    shown = [words for words in (dosage_words(d, friendly) for d in dosages) if words]
    return "; ".join(shown) or None
