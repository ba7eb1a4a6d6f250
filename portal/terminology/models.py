"""Patient-friendly names of coded clinical items, in the portal's three languages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.types import UTCDateTime, utcnow

#: The languages every entry has a name and an explanation in.
LANGUAGES = ("en", "nl", "pl")


class Term(db.Model):
    """One code of one code system (LOINC, SNOMED CT, CVX, RxNorm, ...) in plain words.

    The name replaces the source system's own name on the patient's pages; the source's
    name stays next to it for clinicians and for looking it up. The explanation says in
    a sentence or two what the test measures or what the thing is.
    """

    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(200))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_pl: Mapped[str] = mapped_column(String(200))
    explanation_en: Mapped[str] = mapped_column(Text, default="")
    explanation_nl: Mapped[str] = mapped_column(Text, default="")
    explanation_pl: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The staff member who last changed it; None for the starter set.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("system", "code", name="uq_terms_system_code"),)

    def name(self, language: str) -> str:
        """The name in `language` (English when that is empty)."""
        return getattr(self, f"name_{language}", None) or self.name_en

    def explanation(self, language: str) -> str:
        """The explanation in `language` (English when that is empty)."""
        return getattr(self, f"explanation_{language}", None) or self.explanation_en
