"""The rules of messaging: starting and answering threads, who has read what, queues.

Every change records its audit line and commits once with it. E-mail goes out after the
commit, and a mail server that is down never loses a message (see notify.py).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from portal import audit
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
from portal.models import Patient, User
from portal.paging import Page, paginate
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


def find_thread(thread_id: int, patient: Patient | None = None) -> Thread | None:
    """Thread `thread_id` (of `patient`, when given), or None."""
    statement = select(Thread).options(selectinload(Thread.team)).where(Thread.id == thread_id)
    if patient is not None:
        statement = statement.where(Thread.patient_id == patient.id)
    return db.session.scalar(statement)


def thread_messages(thread: Thread, page: int | None, with_notes: bool) -> Page:
    """One page of the thread's messages, oldest first; without a page, the latest page."""
    statement = (select(Message).options(selectinload(Message.attachments),
                                         selectinload(Message.author))
                 .where(Message.thread_id == thread.id)
                 .order_by(Message.sent_at, Message.id))
    if not with_notes:
        statement = statement.where(Message.kind != NOTE)
    return paginate(statement, page or 10**9)


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
        counted[patient_id] = db.session.scalar(select(func.count(Thread.id)).where(
            Thread.patient_id == patient_id, Thread.unread_by_patient.is_(True))) or 0
    return counted[patient_id]


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

