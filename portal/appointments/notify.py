"""E-mails about appointments (confirmation, cancellation, reminder) and the calendar file.

They name the kind of visit, when and where, never what the patient wrote as the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_request_context
from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.appointments.models import BOOKED, Appointment, Slot
from portal.clinic import current_clinic
from portal.extensions import db
from portal.i18n import in_language
from portal.mail import portal_url, send_mail
from portal.models import Patient
from portal.types import utcnow


def _wants_mail(user) -> bool:
    """Whether `user` wants appointment reminders (a daily summary would come too late, so
    "daily" counts as yes; only "none" stops them)."""
    from portal.account.services import NONE, notification_choices

    return notification_choices(user)["appointments"] != NONE


def _recipients(patient: Patient, reminder: bool = False) -> list[tuple]:
    """(address, language, name to greet, whom it is about) of each person to tell: the
    patient, and those acting for them with the appointments permission. Reminders go
    only to those who want appointment e-mails."""
    account = patient.account
    email = (account.email if account and account.email else None) or patient.email
    locale = (account.locale if account else None) or patient.preferred_locale
    found = []
    if email and not (reminder and account is not None and not _wants_mail(account)):
        found.append((email, locale, None, None))
    if current_clinic().feature_on("family"):
        from portal.family.rules import proxies_with

        for user, _relationship in proxies_with(patient, "appointments"):
            if user.email and (not reminder or _wants_mail(user)):
                found.append((user.email, user.locale or patient.preferred_locale,
                              user.display_name, patient.given_name))
    return found


def _send(appointment: Appointment, template: str, reminder: bool = False, **extra) -> bool:
    """Mail everyone to tell about the appointment; whether anyone was mailed."""
    slot = appointment.slot
    recipients = _recipients(appointment.patient, reminder)
    for email, locale, reader, acting_for in recipients:
        send_mail(email, template, locale, patient=appointment.patient,
                  when=appointment.starts_at, type_names=appointment.appointment_type.names,
                  practitioner=slot.practitioner.name, place=slot.location.name,
                  address=slot.location.address, reader=reader, acting_for=acting_for,
                  link=portal_url("appointments.detail", appointment_id=appointment.id),
                  **extra)
    return bool(recipients)


def queue_confirmation(appointment: Appointment) -> bool:
    """Queue the e-mails that the appointment is booked, in the caller's transaction
    (the booking's: `services.book(..., tell=queue_confirmation)`)."""
    return _send(appointment, "appointment_confirmed")


def queue_move(appointment: Appointment) -> bool:
    """Queue the e-mails that the appointment moved, from when to when (the move's
    transaction)."""
    return _send(appointment, "appointment_moved", moved_from=appointment.moved_from)


def queue_cancellation(appointment: Appointment) -> bool:
    """Queue the e-mails that the appointment is cancelled (the cancelling's transaction)."""
    return _send(appointment, "appointment_cancelled")


def send_confirmation(appointment: Appointment) -> bool:
    """Queue the confirmation and commit it (for an appointment booked elsewhere)."""
    sent = queue_confirmation(appointment)
    db.session.commit()
    return sent


def due_reminders(now: datetime) -> list[Appointment]:
    """Booked appointments starting within the reminder window that have had no reminder."""
    hours = current_clinic().reminder_hours
    hours = 24 if hours is None else hours
    return list(db.session.scalars(select(Appointment).where(
        Appointment.status == BOOKED, Appointment.reminder_sent_at.is_(None),
        Appointment.starts_at > now, Appointment.starts_at <= now + timedelta(hours=hours))
        .options(joinedload(Appointment.patient).joinedload(Patient.account),
                 joinedload(Appointment.appointment_type),
                 joinedload(Appointment.slot).joinedload(Slot.practitioner),
                 joinedload(Appointment.slot).joinedload(Slot.location))
        .order_by(Appointment.starts_at)))


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """Send each due reminder once; return how many were sent, skipped and failed.

    Each appointment is claimed with a conditional update before its mail goes out, and
    the claim is committed only once the mail is sent: a second run (or a second server
    running the same cron line) finds nothing to send, and a failed mail is tried again
    next time.
    """
    now = now or utcnow()
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    if not has_request_context():
        # From cron there is no request; links in the mail still need one to be built.
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            return send_reminders(now)
    for appointment in due_reminders(now):
        claimed = db.session.execute(
            update(Appointment).where(Appointment.id == appointment.id,
                                      Appointment.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        try:
            sent = _send(appointment, "appointment_reminder", reminder=True)
        except Exception:  # noqa: BLE001 - one bad address must not stop the others
            db.session.rollback()
            current_app.logger.exception("Reminder for appointment %s failed", appointment.id)
            counts["failed"] += 1
            continue
        db.session.commit()
        counts["sent" if sent else "skipped"] += 1
    return counts


def calendar_file(appointment: Appointment) -> bytes:
    """The appointment as an iCalendar file (times in UTC, which every calendar converts)."""
    clinic = current_clinic()
    slot = appointment.slot
    calendar = Calendar()
    calendar.add("prodid", "-//Patient portal//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = current_app.config["BASE_URL"].split("//")[-1].split("/")[0] or "portal"
    # The same UID with a higher SEQUENCE after a move: calendars update the event they
    # have instead of adding a second one.
    event.add("uid", f"appointment-{appointment.id}@{host}")
    event.add("sequence", appointment.sequence or 0)
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{in_language(appointment.appointment_type.names)} – {clinic.name}")
    place = ", ".join(part for part in (slot.location.name, slot.location.address) if part)
    event.add("location", place)
    event.add("description", f"{slot.practitioner.name}. {clinic.name}, {clinic.phone}")
    event.add("status", "CONFIRMED" if appointment.status == BOOKED else "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()
