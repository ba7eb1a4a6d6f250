"""The rules of messaging: starting and answering threads, who has read what, queues.

Every change records its audit line and commits once with it. E-mail goes out after the
commit, and a mail server that is down never loses a message (see notify.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import Integer, Select, bindparam, case, false, func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage

from portal import audit
from portal.access import not_the_patient
from portal.clinic import current_clinic
from portal.extensions import db
from portal.files import save_upload
from portal.messages import notify
from portal.messages.models import (
    AUTO_REPLY,
    DONE,
    NOTE,
    OPEN,
    WRITTEN,
    Attachment,
    Message,
    Thread,
)
from portal.models import Patient, StoredFile, User
from portal.paging import Page, page_size, paginate
from portal.types import utcnow

#: Messages per page of a thread; threads per page of an inbox.


def clinic_is_open(moment: datetime) -> bool:
    """Whether `moment` (UTC) falls within the clinic's opening hours, in its time zone."""
    clinic = current_clinic()
    local = moment.astimezone(ZoneInfo(clinic.timezone or "UTC"))
    clock = local.strftime("%H:%M")
    return any(start <= clock < end
               for start, end in (clinic.opening_hours or {}).get(str(local.weekday()), []))


def _add_message(thread: Thread, author: User, body: str, *, kind: str = WRITTEN,
                 upload: FileStorage | None = None, now: datetime | None = None) -> Message:
    """Add a message (with its attachment saved) to `thread`, keeping the counters right."""
    now = now or utcnow()
    message = Message(thread=thread, author=author, body=body.strip(), kind=kind,
                      from_clinic=author.is_staff, sent_at=now)
    db.session.add(message)
    stored = save_upload(upload)
    if stored is not None:
        message.attachments.append(Attachment(file=stored))
    if kind != NOTE:
        thread.message_count = (thread.message_count or 0) + 1
        thread.last_message_at = now
    return message


def _after_patient_side_wrote(thread: Thread, now: datetime) -> None:
    """The clinic has something to read and answer; outside hours, say when it will."""
    thread.status = OPEN
    thread.unread_by_staff = True
    thread.waiting_since = thread.waiting_since or now
    thread.archived_by_patient = False
    if current_clinic().auto_reply_outside_hours and not clinic_is_open(now):
        db.session.add(Message(thread=thread, kind=AUTO_REPLY, from_clinic=True, body="",
                               sent_at=now))
        thread.message_count += 1


def start_thread(patient: Patient, author: User, team_id: int, subject: str, body: str,
                 upload: FileStorage | None = None) -> Thread:
    """A new thread from the patient's side to a team."""
    now = utcnow()
    thread = Thread(patient=patient, team_id=team_id, subject=subject.strip(),
                    started_by_id=author.id, created_at=now, message_count=0)
    db.session.add(thread)
    _add_message(thread, author, body, upload=upload, now=now)
    _after_patient_side_wrote(thread, now)
    db.session.flush()
    audit.record(audit.Action.MESSAGE_SENT,
                 patient=patient, actor=author, target=f"thread:{thread.id}")
    db.session.commit()
    return thread


def reply(thread: Thread, author: User, body: str, upload: FileStorage | None = None) -> Message:
    """A reply in `thread`, from the patient's side or from staff; staff replies notify."""
    now = utcnow()
    message = _add_message(thread, author, body, upload=upload, now=now)
    if author.is_staff:
        _patient_read_state_changed()
        thread.unread_by_patient = True
        thread.unread_by_staff = False
        thread.waiting_since = None
        thread.archived_by_patient = False
        if thread.assigned_to_id is None:
            thread.assigned_to_id = author.id
    else:
        _after_patient_side_wrote(thread, now)
    db.session.flush()
    audit.record(audit.Action.MESSAGE_SENT, patient=thread.patient_id, actor=author,
                 target=f"thread:{thread.id}")
    if author.is_staff:
        notify.new_message(thread.patient)
    db.session.commit()
    return message


def add_note(thread: Thread, author: User, body: str) -> Message:
    """An internal note: staff see it in the thread, the patient's side never does."""
    message = _add_message(thread, author, body, kind=NOTE)
    audit.record(audit.Action.MESSAGE_NOTE, patient=thread.patient_id, actor=author,
                 target=f"thread:{thread.id}")
    db.session.commit()
    return message


def assign(thread: Thread, actor: User, team_id: int, assignee_id: int | None) -> None:
    """Move the thread to a team's queue and give it to one of its members (or nobody)."""
    thread.team_id, thread.assigned_to_id = team_id, assignee_id
    audit.record(audit.Action.MESSAGE_ASSIGNED, patient=thread.patient_id, actor=actor,
                 target=f"thread:{thread.id}")
    db.session.commit()


def set_done(thread: Thread, actor: User, done: bool) -> None:
    """Mark the thread dealt with, or open it again."""
    thread.status = DONE if done else OPEN
    if done:
        thread.waiting_since = None
        thread.unread_by_staff = False
    audit.record(audit.Action.MESSAGE_DONE if done else audit.Action.MESSAGE_REOPENED,
                 patient=thread.patient_id,
                 actor=actor, target=f"thread:{thread.id}")
    db.session.commit()


def set_archived(thread: Thread, actor: User, archived: bool) -> None:
    """Move the thread out of (or back into) the patient's inbox; staff still see it."""
    thread.archived_by_patient = archived
    audit.record(audit.Action.MESSAGE_ARCHIVED if archived else audit.Action.MESSAGE_UNARCHIVED,
                 patient=thread.patient_id, actor=actor, target=f"thread:{thread.id}")
    db.session.commit()


def mark_read(thread: Thread, reader: User) -> None:
    """Record that the reader's side has read the thread (the view audits the reading).

    Nothing is written when the flag says so already: a commit would cost a transaction
    and expire every loaded row, which the audit line after the view would load again.
    """
    if reader.is_staff:
        if not thread.unread_by_staff:
            return
        thread.unread_by_staff = False
    else:
        if not thread.unread_by_patient:
            return
        _patient_read_state_changed()
        thread.unread_by_patient = False
    db.session.commit()


def thread_for_staff(user: User, thread_id: int) -> Thread | None:
    """Thread `thread_id` when it is in one of `user`'s teams (administrators: any), or None."""
    from portal.messages import teams

    found = find_thread(thread_id)
    return found if found is not None and teams.works_in(user, found.team_id) else None


def thread_of(patient: Patient, thread_id: int) -> Thread | None:
    """The patient's thread `thread_id`, or None (for `access.find_or_refuse`)."""
    return find_thread(thread_id, patient)


def patient_threads(patient: Patient, archived: bool, page: int) -> Page:
    """One page of the patient's threads, newest activity first, with their teams."""
    statement = (select(Thread).options(selectinload(Thread.team))
                 .where(Thread.patient_id == patient.id,
                        Thread.archived_by_patient.is_(archived))
                 .order_by(Thread.last_message_at.desc(), Thread.id.desc()))
    return paginate(statement, page)


#: A thread with its team, in one query (statements built once).
_THREAD = (select(Thread).options(joinedload(Thread.team))
           .where(Thread.id == bindparam("thread_id")))
_PATIENTS_THREAD = _THREAD.where(Thread.patient_id == bindparam("patient_id"))


def find_thread(thread_id: int, patient: Patient | None = None) -> Thread | None:
    """Thread `thread_id` (of `patient`, when given), or None."""
    if patient is None:
        return db.session.scalar(_THREAD, {"thread_id": thread_id})
    return db.session.scalar(_PATIENTS_THREAD, {"thread_id": thread_id,
                                                "patient_id": patient.id})


@dataclass(slots=True)
class ShownFile:
    """An attachment as a thread's page lists it: its link, name, type and size."""

    id: int
    filename: str
    #: The type's short name, e.g. PDF or PNG.
    kind: str
    #: The size in kB, rounded up.
    kilobytes: int


@dataclass(slots=True)
class ShownMessage:
    """A message as a thread's page shows it (only the columns the page uses)."""

    id: int
    kind: str
    from_clinic: bool
    body: str
    sent_at: datetime
    #: The author's display name; None when the message has no author (an automatic one).
    author_name: str | None
    #: Written by a parent or carer acting for the patient, not by the patient.
    by_proxy: bool = False
    attachments: list[ShownFile] = field(default_factory=list)


def _thread_page_statement(with_notes: bool) -> Select:
    """One page of a thread's messages with their authors' names and their files, and how
    many messages the thread has: one statement, built once.

    The messages are numbered in order, with their count, in a subquery; the page asked
    for (`page_index`, from 0; past the end, the last page) is the range of numbers it
    covers. A message with two files comes as two rows. Written with the tables' columns,
    not the models', so that it runs as plain SQL without the ORM's compile step.
    """
    message, user = Message.__table__, User.__table__
    attachment, stored = Attachment.__table__, StoredFile.__table__
    numbered = select(message.c.id, func.row_number().over(
        order_by=(message.c.sent_at, message.c.id)).label("position"),
        func.count().over().label("total")).where(message.c.thread_id == bindparam("thread_id"))
    if not with_notes:
        numbered = numbered.where(message.c.kind != NOTE)
    numbered = numbered.subquery("numbered")
    per_page = bindparam("per_page", type_=Integer)
    asked = bindparam("page_index", type_=Integer)
    last = (numbered.c.total - 1) // per_page
    first = case((asked > last, last), else_=asked) * per_page
    return (select(message.c.id, message.c.kind, message.c.from_clinic, message.c.body,
                   message.c.sent_at, user.c.display_name.label("author_name"),
                   user.c.role.label("author_role"), user.c.patient_id.label("author_patient"),
                   numbered.c.total, attachment.c.id.label("file_id"), stored.c.filename,
                   stored.c.content_type, stored.c.size)
            .select_from(message.join(numbered, numbered.c.id == message.c.id)
                         .outerjoin(user, user.c.id == message.c.author_id)
                         .outerjoin(attachment, attachment.c.message_id == message.c.id)
                         .outerjoin(stored, stored.c.id == attachment.c.file_id))
            .where(numbered.c.position > first, numbered.c.position <= first + per_page)
            .order_by(numbered.c.position, attachment.c.id))


_THREAD_PAGE = {False: _thread_page_statement(False), True: _thread_page_statement(True)}
#: The page number that means "the last page" (and the largest one asked for).
_LAST_PAGE = 10**9


def thread_messages(thread: Thread, page: int | None, with_notes: bool) -> Page:
    """One page of the thread's messages, oldest first; without a page, the latest page.

    The page's items are `ShownMessage`s. One query, however long the thread.
    """
    per_page = page_size()
    asked = min(max(page or _LAST_PAGE, 1), _LAST_PAGE)
    rows = db.session.execute(_THREAD_PAGE[with_notes], {
        "thread_id": thread.id, "per_page": per_page, "page_index": asked - 1}).all()
    messages: list[ShownMessage] = []
    for row in rows:
        if not messages or messages[-1].id != row.id:
            by_proxy = not row.from_clinic and not_the_patient(
                row.author_role, row.author_patient, thread.patient_id)
            messages.append(ShownMessage(row.id, row.kind, row.from_clinic, row.body,
                                         row.sent_at, row.author_name, by_proxy=by_proxy))
        if row.file_id is not None and row.filename is not None:
            messages[-1].attachments.append(ShownFile(
                row.file_id, row.filename, row.content_type.partition("/")[2].upper(),
                ceil(row.size / 1024)))
    total = rows[0].total if rows else 0
    return Page(messages, min(asked, max(1, ceil(total / per_page))), per_page, total)


def find_attachment(thread: Thread, attachment_id: int, with_notes: bool) -> Attachment | None:
    """An attachment of a message in `thread` that the reader may see, or None."""
    statement = (select(Attachment).join(Message)
                 .where(Attachment.id == attachment_id, Message.thread_id == thread.id))
    if not with_notes:
        statement = statement.where(Message.kind != NOTE)
    return db.session.scalar(statement)


def unread_for_patient(patient_id: int) -> int:
    """How many of the patient's threads have news from the clinic not yet read.

    Counted once per request (the menu's badge and the home page's panel both show it);
    a change to what the patient has read within the request counts again.
    """
    counted = g.setdefault("unread_for_patient", {})
    if patient_id not in counted:
        counted[patient_id] = db.session.scalar(UNREAD, {"patient_id": patient_id}) or 0
    return counted[patient_id]


def remember_unread(patient_id: int, value: int | None) -> int:
    """Keep `UNREAD`'s value for the patient, counted by another statement (the home page
    reads it among its panels' figures), as this request's count; returns it."""
    counted = g.setdefault("unread_for_patient", {})
    counted[patient_id] = value or 0
    return counted[patient_id]


#: Built once: every page a patient sees counts it (the menu's badge).
UNREAD = select(func.count(Thread.id)).where(Thread.patient_id == bindparam("patient_id"),
                                              Thread.unread_by_patient.is_(True))


def _patient_read_state_changed() -> None:
    """Forget this request's unread count: it is counted again when next shown."""
    g.pop("unread_for_patient", None)


def queue(team_ids: set[int] | None, view: str, user: User, page: int) -> Page:
    """One page of an inbox: waiting threads, oldest wait first; or done ones, newest first.

    `team_ids` None means every team (an administrator). `view` is "open", "mine" or
    "done".
    """
    statement = select(Thread).options(selectinload(Thread.team), selectinload(Thread.patient),
                                       selectinload(Thread.assigned_to))
    statement = _in_teams(statement, team_ids)
    if view == "done":
        statement = statement.where(Thread.status == DONE).order_by(
            Thread.last_message_at.desc(), Thread.id.desc())
    else:
        statement = statement.where(Thread.status == OPEN)
        if view == "mine":
            statement = statement.where(Thread.assigned_to_id == user.id)
        statement = statement.order_by(Thread.waiting_since.is_(None),
                                       Thread.waiting_since, Thread.last_message_at.desc())
    return paginate(statement, page)


def waiting_for_staff(team_ids: set[int] | None) -> int:
    """How many open threads in these teams wait for an answer from the clinic."""
    statement = select(func.count(Thread.id)).where(Thread.status == OPEN,
                                                    Thread.waiting_since.is_not(None))
    return db.session.scalar(_in_teams(statement, team_ids)) or 0


def _in_teams(statement: Select, team_ids: set[int] | None) -> Select:
    if team_ids is None:
        return statement
    return statement.where(Thread.team_id.in_(team_ids) if team_ids else false())

