"""Messages between a patient's side and the clinic's teams, and repeat prescriptions.

A thread belongs to one patient and sits in one team's queue. Who has read what is kept
as two flags on the thread (one for the patient's side, one for the clinic's), so that
inbox pages and the unread count in the header are each one query, however long the
history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import Patient, User, WithStoredFile
from portal.types import UTCDateTime, utcnow

#: Thread status: waiting for the clinic, or dealt with (a new patient message reopens it).
OPEN, DONE = "open", "done"
#: Message kinds: written by a person, a note staff keep among themselves, or the
#: automatic answer outside opening hours (its words are shown in the reader's language).
WRITTEN, NOTE, AUTO_REPLY = "message", "note", "auto-reply"
#: Repeat prescription request status.
REQUESTED, APPROVED, DECLINED = "requested", "approved", "declined"


class Team(db.Model):
    """A group of staff with its own queue, and the topic patients choose to reach it."""

    __tablename__ = "message_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The team's name for staff, per language: {"en": ..., "nl": ..., "pl": ...}
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    #: What the patient chooses, per language, e.g. "A question for my doctor or nurse".
    topics: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    members: Mapped[list[User]] = relationship(secondary="message_team_members",
                                               order_by="User.display_name")


class TeamMember(db.Model):
    """A member of staff in a team: they see and answer the team's threads."""

    __tablename__ = "message_team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("message_teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)


class Thread(db.Model):
    """A conversation about one subject between a patient's side and one team."""

    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("message_teams.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the patient's side wrote and nobody at the clinic has answered since; the
    #: inbox shows its age.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unread_by_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    unread_by_staff: Mapped[bool] = mapped_column(Boolean, default=True)
    archived_by_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    message_count: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Patient] = relationship()
    team: Mapped[Team] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])

    __table_args__ = (
        Index("ix_message_threads_patient_last", "patient_id", "last_message_at"),
        Index("ix_message_threads_team_status", "team_id", "status", "waiting_since"),
    )


class Message(db.Model):
    """One message of a thread, an internal note, or an automatic answer."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id"))
    kind: Mapped[str] = mapped_column(String(12), default=WRITTEN)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Whether it came from the clinic's side (staff), not the patient's.
    from_clinic: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Plain text; shown escaped, with line breaks and safe links.
    body: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")

    __table_args__ = (Index("ix_messages_thread_sent", "thread_id", "sent_at"),)


class Attachment(WithStoredFile, db.Model):
    """A file sent with a message, saved in the database with it."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)


class RepeatRequest(db.Model):
    """A patient's request for more of a medicine, and the clinic's decision."""

    __tablename__ = "repeat_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: The medicine in the record (a RecordItem of kind "medication").
    medication_id: Mapped[int | None] = mapped_column(ForeignKey("record_items.id"))
    #: The medicine's name when asked, so the request reads the same if the record changes.
    medication: Mapped[str] = mapped_column(String(300))
    pharmacy: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it was declined (or a note with an approval), written for the patient.
    reason: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[Patient] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        Index("ix_repeat_requests_patient_time", "patient_id", "requested_at"),
        Index("ix_repeat_requests_status_time", "status", "requested_at"),
    )
