"""What staff do with the terminology: find entries, see codes lacking one, add and change."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.terminology.models import Term
from portal.terminology.services import COLUMNS, forget_copy
from portal.types import utcnow


def search(query: str, page: int, per_page: int = 20):
    """One page of entries whose code or a name holds `query`, by system and code."""
    from portal.records.services import paginate

    statement = select(Term).order_by(Term.system, Term.code)
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(or_(*(func.lower(column).like(like) for column in (
            Term.code, Term.name_en, Term.name_nl, Term.name_pl))))
    return paginate(statement, page, per_page)


def codes_without_entry(limit: int = 20) -> list[tuple[str, str, str]]:
    """Codes in patients' records that have no entry yet: (system, code, a title), in one
    query, the most common first."""
    from portal.records.models import RecordItem

    rows = db.session.execute(
        select(RecordItem.code_system, RecordItem.code, func.min(RecordItem.title))
        .outerjoin(Term, (Term.system == RecordItem.code_system) & (Term.code == RecordItem.code))
        .where(RecordItem.code.is_not(None), RecordItem.code_system.is_not(None),
               Term.id.is_(None))
        .group_by(RecordItem.code_system, RecordItem.code)
        .order_by(func.count().desc(), RecordItem.code_system, RecordItem.code)
        .limit(limit))
    return [tuple(row) for row in rows]


def find(term_id: int) -> Term | None:
    """The entry `term_id`, or None."""
    return db.session.get(Term, term_id)


def exists(system: str, code: str) -> bool:
    """Whether the table has an entry for this code already."""
    return db.session.scalar(select(Term.id).where(Term.system == system,
                                                   Term.code == code)) is not None


def save(term: Term | None, values: dict, user) -> Term:
    """Add an entry (`term` None) or change one; pages show it from the next request on."""
    if term is None:
        term = Term(system=values["system"], code=values["code"])
        db.session.add(term)
    for column in COLUMNS[2:]:
        setattr(term, column, (values.get(column) or "").strip())
    term.updated_at = utcnow()
    term.updated_by_id = user.id
    db.session.commit()
    forget_copy()
    return term
