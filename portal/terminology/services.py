"""Friendly names for coded items: the lookup pages use, the starter set, what is missing.

Pages look names up in a copy of the whole table kept per process. The first lookup of a
request asks the database one small question (how many entries, and the latest change);
only when that answer differs from the copy's is the table read again. So a page costs
one query however many coded items it shows, and an edit by staff in one worker shows in
every worker from the next request on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import g
from flask_babel import get_locale
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, true, tuple_

from portal.extensions import db
from portal.terminology.models import LANGUAGES, Term

STARTER = Path(__file__).with_name("starter.csv")
#: The columns of the starter file, as in the table.
COLUMNS = ("system", "code", *(f"name_{lang}" for lang in LANGUAGES),
           *(f"explanation_{lang}" for lang in LANGUAGES))


@dataclass(frozen=True)
class Entry:
    """One term as pages use it: names and explanations per language."""

    names: dict[str, str]
    explanations: dict[str, str]


@dataclass(frozen=True)
class Friendly:
    """What a page shows for one coded item in the reader's language.

    `source` is the source system's own name, when it differs from `name`.
    """

    name: str
    source: str | None = None
    explanation: str | None = None


_copy: dict = {"latest": None, "terms": {}}
_COLUMNS = (Term.system, Term.code, *(getattr(Term, f"name_{lang}") for lang in LANGUAGES),
            *(getattr(Term, f"explanation_{lang}") for lang in LANGUAGES))


def _entry(row) -> Entry:
    names = {lang: getattr(row, f"name_{lang}") or row.name_en for lang in LANGUAGES}
    explanations = {lang: getattr(row, f"explanation_{lang}") or row.explanation_en
                    for lang in LANGUAGES}
    return Entry(names, explanations)


def _terms() -> dict[tuple[str, str], Entry]:
    """The whole table as this process knows it, brought up to date once a request.

    One query answers how many entries there are and the latest change, with the entries
    changed since this process last looked (none, mostly). Only when the table lost
    entries (never through the portal) is it read again whole.
    """
    if g.get("_terms_checked"):
        return _copy["terms"]
    since = _copy["latest"]
    rows = db.session.execute(_stamp_and_changes(since is not None), {"since": since}).all()
    count, latest = rows[0].n, rows[0].latest
    terms = dict(_copy["terms"]) if since is not None else {}
    for row in rows:
        if row.system is not None:
            terms[(row.system, row.code)] = _entry(row)
    if count == 0:
        terms = {}
    elif len(terms) != count:
        terms = {(row.system, row.code): _entry(row)
                 for row in db.session.execute(select(*_COLUMNS))}
    _copy.update(latest=latest, terms=terms)
    g._terms_checked = True
    return terms


@cache
def _stamp_and_changes(since: bool) -> Select:
    """How many entries there are and the latest change, joined to the entries changed after
    the parameter `since` (`since`: when there is a copy; else to every entry). Built once."""
    stamp = select(func.count(Term.id).label("n"), func.max(Term.updated_at).label("latest")) \
        .subquery()
    return (select(stamp.c.n, stamp.c.latest, *_COLUMNS).select_from(stamp)
            .outerjoin(Term, Term.updated_at > bindparam("since", type_=Term.updated_at.type)
                       if since else true()))


def forget_copy() -> None:
    """Read the table again at the next lookup (after a change in this request)."""
    g.pop("_terms_checked", None)


def _language() -> str:
    locale = get_locale()
    language = locale.language if locale else "en"
    return language if language in LANGUAGES else "en"


def friendly(system: str | None, code: str | None, source: str | None) -> Friendly:
    """The name of a coded thing in the reader's language, else the source's name."""
    entry = _terms().get((system, code)) if code else None
    if entry is None:
        return Friendly(source or "")
    return _in_language(entry, _language(), source)


def _in_language(entry: Entry, language: str, source: str | None) -> Friendly:
    return _named(entry.names[language], source, entry.explanations[language] or None)


def _named(name: str, source: str | None, explanation: str | None = None) -> Friendly:
    """A friendly name, with the source's own name beside it when that one differs."""
    return Friendly(name, source if source and source.casefold() != name.casefold() else None,
                    explanation)


def friendly_item(item) -> Friendly:
    """The friendly name of a record item (named by its code), its title as the source's."""
    return friendly(item.code_system, item.code, item.title)


def friendly_items(items: Iterable) -> list[Friendly]:
    """`friendly_item` of each of `items`, with the table and the language looked up once
    for the whole list (a results table names dozens)."""
    terms = _terms()
    language = None
    shown = []
    for item in items:
        entry = terms.get((item.code_system, item.code)) if item.code else None
        if entry is None:
            shown.append(Friendly(item.title or ""))
            continue
        language = language or _language()
        shown.append(_in_language(entry, language, item.title))
    return shown


#: A term's names, selected next to a coded item's columns (the term outer-joined on
#: `term_of`), so that a list names its items from its own statement, without the lookup.
TERM_NAMES = tuple(getattr(Term, f"name_{lang}").label(f"term_name_{lang}") for lang in LANGUAGES)


def term_of(system: ColumnElement, code: ColumnElement) -> ColumnElement:
    """The condition joining the term of the code `code` of code system `system` (an item
    without a code has no term)."""
    return and_(Term.system == system, Term.code == code, code != "")


def friendly_names_joined(rows: Iterable) -> list[Friendly]:
    """The names of `friendly_items` (no explanations) of rows selected with `TERM_NAMES`
    (named by their `title`), read from the rows themselves: no lookup."""
    name_column = None
    shown = []
    for row in rows:
        english = row.term_name_en
        if english is None:  # NOT NULL in the table: the code has no entry
            shown.append(Friendly(row.title or ""))
            continue
        name_column = name_column or f"term_name_{_language()}"
        shown.append(_named(getattr(row, name_column) or english, row.title))
    return shown


def friendly_by_item_id(item_ids) -> dict[int, Friendly]:
    """The friendly names of record items by id, read in one query; items whose code has
    no entry are left out, so a list keeps the name it stored."""
    from portal.records.models import RecordItem

    wanted = {item_id for item_id in item_ids if item_id}
    if not wanted:
        return {}
    rows = db.session.execute(select(RecordItem.id, RecordItem.code_system, RecordItem.code,
                                     RecordItem.title).where(RecordItem.id.in_(wanted)))
    known = _terms()
    return {row.id: friendly(row.code_system, row.code, row.title) for row in rows
            if (row.code_system, row.code) in known}


def friendly_name(item) -> str:
    """Only the name of `friendly_item`, for titles and captions."""
    return friendly_item(item).name


def friendly_detail(item, key: str) -> Friendly | None:
    """The friendly form of a coded detail (a visit's reason), or None when there is none."""
    details = item.details or {}
    text = details.get(key)
    if not text:
        return None
    coding = details.get(f"{key}_coding") or {}
    return friendly(coding.get("system"), coding.get("code"), text)


def friendly_reactions(item) -> list[Friendly]:
    """An allergy's reactions in the reader's language, where their codes are known."""
    details = item.details or {}
    codings = details.get("reaction_codings") or []
    shown = []
    for index, text in enumerate(details.get("reactions") or []):
        coding = (codings[index] if index < len(codings) else None) or {}
        shown.append(friendly(coding.get("system"), coding.get("code"), text))
    return shown


def starter_rows(path: Path = STARTER) -> list[dict]:
    """The entries of the starter file (UTF-8 CSV with a header line)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [{column: (row.get(column) or "").strip() for column in COLUMNS}
                for row in csv.DictReader(handle)]


def load_starter(path: Path = STARTER) -> int:
    """Add the starter entries the table lacks; entries already there (edited by staff or
    not) are left as they are. Returns how many were added."""
    rows = starter_rows(path)
    have = {tuple(row) for row in db.session.execute(select(Term.system, Term.code))}
    new = [row for row in rows if (row["system"], row["code"]) not in have]
    for row in new:
        db.session.add(Term(**row))
    db.session.commit()
    return len(new)


def missing(codes: Iterable[tuple[str | None, str | None]]) -> set[tuple[str, str]]:
    """Of `codes` (system, code), those without an entry, in one query."""
    wanted = {(system or "", code) for system, code in codes if code}
    if not wanted:
        return set()
    found = {tuple(row) for row in db.session.execute(
        select(Term.system, Term.code).where(or_(*(
            tuple_(Term.system, Term.code).in_(chunk)
            for chunk in _chunks(sorted(wanted), 400)))))}
    return wanted - found


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def friendly_concept(concept: dict, source: str | None = None) -> str:
    """A CodeableConcept's name in the reader's language (a coded answer, a route)."""
    coding = (concept.get("coding") or [{}])[0]
    return friendly(coding.get("system"), coding.get("code"),
                    source or concept.get("text") or coding.get("display")).name
