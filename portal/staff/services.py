"""Rules of the staff console."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Patient


def search_patients(query: str = "", page: int = 1, per_page: int = 20):
    """Patients matching a name, a patient ID or a date of birth (YYYY-MM-DD), paginated."""
    stmt = select(Patient).options(selectinload(Patient.account))
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        conditions = [
            func.lower(Patient.given_name + " " + Patient.family_name).like(like),
            func.lower(Patient.family_name).like(like),
            func.upper(Patient.patient_number) == query.upper(),
        ]
        try:
            conditions.append(Patient.birth_date == date.fromisoformat(query))
        except ValueError:
            pass
        stmt = stmt.where(or_(*conditions))
    stmt = stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
