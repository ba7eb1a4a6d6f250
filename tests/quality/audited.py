"""The audit gate: every answer that shows a patient's data adds an audit line naming them.

What a page shows is judged from its `<main>` (the page's own content, not the menu or
the "whose record" bar): a patient's number (P-100001) or full name there means the page
shows that patient's data. A file a page answers with (a download) is always data about
someone. Either way, the request must have added an audit line naming each such patient.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Patient

_MAIN = re.compile(rb"<main\b.*?</main>", re.S)
_TAG = re.compile(r"<[^>]+>")
_cache: dict[tuple, list[tuple[str, int]]] = {}


def last_line() -> int:
    """The id of the newest audit line (0 if none): lines above it were added since."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def _identifiers() -> list[tuple[str, int]]:
    """(what identifies a patient on a page, their id): number and full name of each."""
    # Keyed by how many patients there are and their highest id: on PostgreSQL the ids go
    # on counting after a test empties the tables, so the same demo gets new ids.
    count = tuple(db.session.execute(select(func.count(Patient.id), func.max(Patient.id))).one())
    if count not in _cache:
        rows = db.session.execute(select(Patient.id, Patient.patient_number,
                                         Patient.given_name, Patient.family_name)).all()
        _cache.clear()
        _cache[count] = [(ident, pid) for pid, number, given, family in rows
                         for ident in (number, f"{given} {family}") if ident]
    return _cache[count]


def shown_patients(body: bytes) -> set[int]:
    """The patients whose number or full name the page's `<main>` shows."""
    found = _MAIN.search(body)
    if not found:
        return set()
    text = " ".join(_TAG.sub(" ", found.group().decode("utf-8", "replace")).split())
    return {pid for ident, pid in _identifiers() if ident in text}


def audited_since(mark: int) -> set[int | None]:
    """The patients named by the audit lines added after line `mark`."""
    return set(db.session.scalars(select(AuditEvent.patient_id).where(AuditEvent.id > mark)))


def problems(response, mark: int) -> list[str]:
    """What the answer showed without an audit line (empty when all is on record)."""
    if response.status_code != 200:
        return []
    db.session.commit()  # see what the request stored
    lines = audited_since(mark)
    if response.mimetype == "text/html":
        missing = shown_patients(response.get_data()) - lines
        return [f"shows the data of patient {pid} without an audit line naming them"
                for pid in sorted(missing)]
    if "attachment" in response.headers.get("Content-Disposition", "") and not lines:
        return ["answers with a file and adds no audit line"]
    return []
