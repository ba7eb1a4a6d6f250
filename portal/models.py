"""The models every area needs: clinic settings, users, patients, the audit trail and
uploaded files."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.extensions import db
from portal.types import UTCDateTime, utcnow

STAFF_ROLES = ("admin", "clinician", "front_desk", "billing")
ROLES = ("patient", *STAFF_ROLES)

#: Areas a clinic can switch on or off; a switched-off area disappears from the menu.
FEATURES = ("records", "messages", "appointments", "billing", "family")


def new_stamp() -> int:
    """A random 31-bit number that marks one state of the clinic's settings."""
    return secrets.randbelow(2**31 - 1) + 1


class ClinicSettings(db.Model):
    """The one row that describes the clinic running this portal."""

    __tablename__ = "clinic_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(400))
    emergency_number: Mapped[str] = mapped_column(String(20), default="112")
    #: {"0": [["08:00", "17:00"]], ...}: weekday (Monday is 0) to opening periods.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    default_locale: Mapped[str] = mapped_column(String(5), default="en")
    reply_days: Mapped[int] = mapped_column(Integer, default=2)
    #: Categories of patients this portal serves, e.g. ["gp"]; others get an explanation.
    patient_categories: Mapped[list] = mapped_column(JSON, default=list)
    #: {"records": true, "messages": false, ...}
    features: Mapped[dict] = mapped_column(JSON, default=dict)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    #: Whether patients must use a second factor (staff always must).
    patient_2fa_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether patients without a smartphone may get their second factor by e-mail.
    email_codes_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    #: How long an invitation's activation code stays valid.
    invitation_days: Mapped[int] = mapped_column(Integer, default=28)
    #: Whether new results wait for a clinician to release them (else they show at once).
    results_need_release: Mapped[bool] = mapped_column(Boolean, default=False)
    # -- messages settings (migration 0005) --
    #: Whether a message sent outside opening hours gets an automatic answer.
    auto_reply_outside_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Pharmacies patients choose from for a repeat prescription (names, in order).
    pharmacies: Mapped[list] = mapped_column(JSON, default=list)
    # -- appointments settings (migration 0006) --
    #: How many hours before an appointment the reminder e-mail goes out.
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    #: How many days before an appointment the patient may check in.
    check_in_days: Mapped[int] = mapped_column(Integer, default=3)
    # -- billing settings (migration 0007) --
    #: Whether patients may ask to pay a statement in monthly instalments.
    payment_plans_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The account patients pay by bank transfer into, and its holder's name.
    bank_iban: Mapped[str] = mapped_column(String(34), default="")
    bank_holder: Mapped[str] = mapped_column(String(200), default="")
    #: Days from a statement's issue date to its due date.
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    # -- questionnaires settings (migration 0008) --
    # -- family settings (migration 0009) --
    #: Age rules for parents' access: "nl", "pl" or "custom" (the three ages below).
    proxy_age_preset: Mapped[str] = mapped_column(String(10), default="nl")
    #: Custom: the age from which a parent's access needs the child's consent (None: never).
    proxy_consent_age: Mapped[int | None] = mapped_column(Integer, default=12)
    #: Custom: the age at which a parent's access ends.
    proxy_end_age: Mapped[int] = mapped_column(Integer, default=16)
    #: Custom: the age from which the child may have an own account.
    proxy_own_account_age: Mapped[int] = mapped_column(Integer, default=12)
    # -- corrections settings (migration 0012) --
    #: Months within which the clinic decides a request to correct the record.
    correction_months: Mapped[int] = mapped_column(Integer, default=1)
    # -- (migration 0017) --
    #: A new random number at every change (portal/clinic.py), so that each worker reads
    #: the settings again only when they changed (a counter could come back after a
    #: restore or a new database, with other settings under the same number).
    stamp: Mapped[int] = mapped_column(Integer, default=new_stamp, server_default="0")

    def feature_on(self, name: str) -> bool:
        """Whether the clinic has switched on the area `name`."""
        return bool((self.features or {}).get(name, False))


class Patient(db.Model):
    """A person whose record the clinic keeps; may or may not have an account."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The number printed on letters and cards; patients may sign in with it.
    patient_number: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address_line: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(30), default="gp")
    preferred_locale: Mapped[str | None] = mapped_column(String(5))
    fhir_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[User | None] = relationship(back_populates="patient", uselist=False)

    __table_args__ = (Index("ix_patients_name", "family_name", "given_name"),)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class User(UserMixin, db.Model):
    """Someone who signs in: a patient, a person acting for one, or a member of staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="patient")
    display_name: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set by staff: the next sign-in allows nothing but choosing a new password.
    password_is_temporary: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: An address waiting for verification; the old one stays in use until then.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    #: Wrong passwords and wrong second-step codes since the last finished sign-in.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the latest password reset link was sent; older links stop working.
    reset_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "totp", "email" or None.
    second_factor: Mapped[str | None] = mapped_column(String(10))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The last accepted TOTP time step: a code for this step or an older one is refused.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    #: {"messages": true, "appointments": true, "results": true}
    notifications: Mapped[dict] = mapped_column(JSON, default=dict)

    patient: Mapped[Patient | None] = relationship(back_populates="account")

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.enabled

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class AuditEvent(db.Model):
    """One line of the audit trail: who did what to whose record, when, from where.

    Rows are written once and never changed: see the guard below.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    #: Route or object touched; never health content.
    target: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        Index("ix_audit_patient_time", "patient_id", "occurred_at"),
        Index("ix_audit_actor_time", "actor_id", "occurred_at"),
    )


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised on any change or deletion of an audit event (see `audit.install_guards`)."""


class StoredFile(db.Model):
    """An uploaded file, bytes and all, saved in the same transaction as the row it belongs to.

    Rows that own a file (a document, a message attachment, an insurance card, a proxy
    request) point here with `WithStoredFile`. The bytes are never loaded with the row:
    reading `data` on a loaded row raises, and downloads select it on its own
    (portal/files.py), so lists stay cheap however large the files are.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None only for a file the move from the old upload folder did not find (migration 0012_files).
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True,
                                               deferred_raiseload=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The type the file's first bytes showed, never what its name or the browser said.
    content_type: Mapped[str] = mapped_column(String(100))
    #: The name offered on download: cleaned, with the extension the content showed.
    filename: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WithStoredFile:
    """The columns of a row that owns an uploaded file: its key, and the file's facts.

    The facts (name, type, size) come with the row in the same query; the bytes never do.
    """

    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), index=True)

    @declared_attr
    def file(cls) -> Mapped[StoredFile | None]:
        return relationship(StoredFile, lazy="joined")
