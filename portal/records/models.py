"""The clinical record: one row per clinical item, whatever its kind.

Every item the clinic's system sends (a result, a report, a visit, a condition, a
medicine, an immunization, an allergy, a procedure) becomes one `RecordItem`. The
columns a page shows or sorts by are typed columns; the original FHIR resource is kept
whole in `resource`, so an export gives back exactly what was imported and a re-import
can tell from `content_hash` whether anything changed. One table keeps imports to a few
batched statements and every list page to one query per kind.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models import WithStoredFile
from portal.types import UTCDateTime, utcnow

#: kind -> the FHIR resource type it comes from
KINDS = {
    "observation": "Observation",
    "report": "DiagnosticReport",
    "encounter": "Encounter",
    "condition": "Condition",
    "procedure": "Procedure",
    "medication": "MedicationRequest",
    "immunization": "Immunization",
    "allergy": "AllergyIntolerance",
}


class RecordItem(db.Model):
    """One clinical item of one patient's record."""

    __tablename__ = "record_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: The resource's id in the clinic's system.
    fhir_id: Mapped[str] = mapped_column(String(64))
    #: The visit (encounter) and report this item belongs to, as FHIR ids.
    encounter_ref: Mapped[str | None] = mapped_column(String(64))
    report_ref: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(64))
    code_system: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(30))
    #: When it happened: effective, onset, authored, occurrence or period start.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    value_num: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    value_text: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(40))
    ref_low: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    ref_high: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    ref_text: Mapped[str | None] = mapped_column(String(200))
    #: "high", "low", "abnormal" or None (normal or unknown).
    flag: Mapped[str | None] = mapped_column(String(10))
    #: Small facts a page shows: dosage, prescriber, reaction, criticality, place, ...
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The FHIR resource as received, for export.
    resource: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Results show once released (at once, unless the clinic has clinicians release them).
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: A plain-language note from the clinic, shown with the result.
    patient_note: Mapped[str | None] = mapped_column(Text)
    #: When the patient first opened it; until then it is marked "new".
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Hidden from proxies (e.g. adolescent care).
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("patient_id", "kind", "fhir_id", name="uq_record_items_identity"),
        Index("ix_record_items_patient_kind_start", "patient_id", "kind", "start_at"),
        Index("ix_record_items_patient_report", "patient_id", "report_ref"),
    )


class Document(WithStoredFile, db.Model):
    """A file staff uploaded to a patient's record (a letter, a scan), saved in the database."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
