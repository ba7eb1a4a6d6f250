"""`flask portal send-reminders`: one reminder per appointment, within the window only."""

from __future__ import annotations

from datetime import timedelta

from portal.appointments.models import Appointment
from portal.appointments.notify import send_reminders
from portal.extensions import db
from portal.types import utcnow
from tests.appointments.conftest import make_appointment, make_slot
from tests.conftest import make_user


def _in(book, hours: float, **user_values):
    user = make_user(**user_values)
    start = utcnow().replace(microsecond=0) + timedelta(hours=hours)
    return user, make_appointment(user.patient, make_slot(book, start), book.kind,
                                  reason="Private reason")


def test_a_reminder_goes_once_and_only_inside_the_window(app, book, outbox, clinic):
    clinic.reminder_hours = 24
    db.session.commit()
    due_user, due = _in(book, 20, locale="en")
    later_user, later = _in(book, 30)
    counts = send_reminders()
    assert counts == {"sent": 1, "skipped": 0, "failed": 0}
    assert len(outbox.to(due_user.email)) == 1 and not outbox.to(later_user.email)
    body = outbox.last_body(due_user.email)
    assert "Dr Lotte Visser" in body and "Private reason" not in body
    assert f"/appointments/{due.id}" in body
    assert db.session.get(Appointment, due.id).reminder_sent_at is not None

    assert send_reminders() == {"sent": 0, "skipped": 0, "failed": 0}
    assert len(outbox.to(due_user.email)) == 1
    # Once the later one comes inside the window, it gets its own single reminder.
    send_reminders(utcnow() + timedelta(hours=10))
    send_reminders(utcnow() + timedelta(hours=10))
    assert len(outbox.to(later_user.email)) == 1


def test_no_reminder_for_patients_who_switched_them_off(book, outbox, clinic):
    user, appointment = _in(book, 3, notifications={"appointments": False})
    assert send_reminders() == {"sent": 0, "skipped": 1, "failed": 0}
    assert not outbox.to(user.email)
    assert send_reminders() == {"sent": 0, "skipped": 0, "failed": 0}


def test_the_command_runs_from_the_command_line(app, book, outbox, clinic):
    user, _ = _in(book, 2)
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["portal", "send-reminders", "--help"]).output
    assert "at most one reminder" in " ".join(help_text.split())
    result = runner.invoke(args=["portal", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Reminders sent: 1" in result.output
    assert len(outbox.to(user.email)) == 1
