"""Outgoing mail leaves the request: stored with its change, sent by a separate process.

The SMTP server here is real (aiosmtpd on 127.0.0.1); it is stopped and started again
in the middle of a test to show that nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from portal.extensions import db
from portal.mail import send_mail
from portal.mail.delivery import claim_next, deliver_due, retry_delay
from portal.mail.models import DEAD, PENDING, SENDING, SENT, OutgoingMail
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import login_as, make_user, post_form, send_outbox


class Server:
    """A real SMTP server on loopback that can be stopped and started on the same port."""

    def __init__(self):
        self.envelopes = []
        self.reply = "250 Message accepted"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.reply

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def message_ids(self) -> list[str]:
        return [message_from_bytes(e.content, policy=default_policy)["Message-ID"]
                for e in self.envelopes]


@pytest.fixture
def smtp(app, monkeypatch):
    server = Server()
    server.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    try:
        yield server
    finally:
        if server.controller is not None and server.controller._thread is not None:
            server.stop()


def _queue(n: int, clinic) -> list[OutgoingMail]:
    user = make_user()
    mails = [send_mail(user.email, "account_locked", "en", user=user, until=utcnow())
             for _ in range(n)]
    db.session.commit()
    return mails


def _rows():
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def _make_due():
    """Skip the backoff wait, as the clock would."""
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_a_page_never_waits_for_a_mail_server_that_does_not_answer(app, client, clinic,
                                                                     monkeypatch):
    """A server that accepts the connection and then says nothing would hold the page
    for the SMTP timeout if the page sent the mail itself; it only stores it."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", silent.getsockname()[1])
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 3)
    user = make_user()
    try:
        started = time.monotonic()
        response = post_form(client, "/forgot-password", {"identifier": user.username})
        took = time.monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 303
    assert took < 2, f"the page took {took:.1f}s"
    [mail] = _rows()
    assert (mail.status, mail.to_address, mail.attempts) == (PENDING, user.email, 0)
    assert "/reset-password/" in mail.body


def test_a_mail_server_that_is_down_breaks_no_page(app, client, clinic, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", closed_port)
    user = make_user()
    response = post_form(client, "/forgot-password", {"identifier": user.username})
    assert response.status_code == 303
    assert send_outbox() == {SENT: 0, PENDING: 1, DEAD: 0}
    [mail] = _rows()
    assert mail.status == PENDING and mail.attempts == 1
    assert mail.last_error == "ServerUnreachable"
    assert mail.next_attempt_at > utcnow()


def test_a_mail_is_stored_with_its_change_or_not_at_all(app, clinic):
    user = make_user()
    send_mail(user.email, "account_locked", "en", user=user, until=utcnow())
    db.session.rollback()
    assert _rows() == []
    send_mail(user.email, "account_locked", "en", user=user, until=utcnow())
    db.session.commit()
    assert len(_rows()) == 1


def test_two_mails_at_the_same_moment_with_the_same_random_state_get_their_own_ids(
        app, clinic, monkeypatch):
    import random

    user = make_user()
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)
    for _ in range(2):  # as a test framework that seeds `random` for each example does
        random.seed(7)
        send_mail(user.email, "account_locked", "en", user=user, until=utcnow())
        db.session.commit()
    ids = [mail.message_id for mail in _rows()]
    assert len(ids) == 2 and ids[0] != ids[1]
    # One header line (78 characters), so no mail server or client sees it folded.
    from portal.mail import new_message_id

    assert len("Message-ID: " + new_message_id("desk.linden-health.example")) <= 78


def test_a_lockout_and_its_mail_are_saved_together(app, client, clinic):
    user = make_user()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        post_form(client, "/sign-in", {"identifier": user.username, "password": "wrong!"})
    [mail] = _rows()
    db.session.refresh(user)
    assert user.locked_until is not None
    assert mail.template == "account_locked" and mail.status == PENDING


def test_server_stopped_and_restarted_mid_test_loses_nothing_and_sends_nothing_twice(
        app, clinic, smtp):
    mails = _queue(6, clinic)
    wanted = {m.message_id for m in mails}

    assert deliver_due(limit=2)[SENT] == 2
    smtp.stop()
    assert deliver_due() == {SENT: 0, PENDING: 1, DEAD: 0}  # the rest wait for the next round
    third = _rows()[2]
    assert third.status == PENDING and third.next_attempt_at > utcnow()  # backing off
    smtp.start()
    _make_due()
    assert deliver_due()[SENT] == 4

    assert sorted(smtp.message_ids()) == sorted(wanted)
    assert not [mid for mid, n in Counter(smtp.message_ids()).items() if n > 1]
    rows = _rows()
    assert {r.status for r in rows} == {SENT}
    assert all(r.body is None for r in rows)  # reset links and codes do not linger
    assert [r.attempts for r in rows] == [1, 1, 2, 1, 1, 1]
    assert deliver_due()[SENT] == 0 and len(smtp.envelopes) == 6


def test_two_senders_at_once_send_each_mail_once(app, clinic, smtp):
    mails = _queue(12, clinic)

    def sender():
        with app.app_context():
            deliver_due()

    workers = [threading.Thread(target=sender) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in mails)
    assert {r.status for r in _rows()} == {SENT}


def test_a_crashed_senders_mail_is_sent_again_with_the_same_message_id(app, clinic, smtp):
    """The at-least-once edge: a sender that dies after claiming (perhaps after the server
    took the mail) leaves it claimed; once the claim expires another sender sends it,
    under the same Message-ID so the copy can be recognised."""
    [mail] = _queue(1, clinic)
    claimed = claim_next()
    assert claimed.status == SENDING
    assert deliver_due()[SENT] == 0  # a live claim is left alone
    db.session.execute(update(OutgoingMail).values(
        claimed_at=utcnow() - timedelta(minutes=app.config["MAIL_CLAIM_MINUTES"] + 1)))
    db.session.commit()
    assert deliver_due()[SENT] == 1
    assert smtp.message_ids() == [mail.message_id]


def test_temporary_refusals_back_off_then_give_up(app, clinic, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    smtp.reply = "451 Try again later"
    _queue(1, clinic)
    waits = []
    for _ in range(3):
        before = utcnow()
        deliver_due()
        [mail] = _rows()
        if mail.status == PENDING:
            waits.append(mail.next_attempt_at - before)
            _make_due()
    assert mail.status == DEAD and mail.attempts == 3
    assert mail.last_error == "SMTPDataError 451"
    base = app.config["MAIL_RETRY_SECONDS"]
    assert [round(w.total_seconds() / base) for w in waits] == [1, 2]
    assert retry_delay(30) == timedelta(hours=6)


def test_a_permanent_refusal_is_given_up_at_once(app, clinic, smtp):
    smtp.reply = "550 No such user here"
    _queue(1, clinic)
    assert deliver_due() == {SENT: 0, PENDING: 0, DEAD: 1}
    [mail] = _rows()
    assert mail.status == DEAD and mail.body  # kept, so it can be sent again


def test_admins_see_failed_mails_and_send_them_again(app, client, clinic, smtp):
    smtp.reply = "550 No such user here"
    [mail] = _queue(1, clinic)
    deliver_due()
    admin = make_user("admin")
    login_as(client, admin)
    page = client.get("/staff/outgoing-mail").get_data(as_text=True)
    assert mail.to_address in page and "SMTPDataError 550" in page and "Given up" in page

    smtp.reply = "250 Message accepted"
    response = post_form(client, f"/staff/outgoing-mail/{mail.id}/send-again", {},
                         page="/staff/outgoing-mail")
    assert response.status_code == 303
    assert deliver_due()[SENT] == 1
    assert smtp.message_ids() == [mail.message_id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail-sent-again"))
    page = client.get("/staff/outgoing-mail").get_data(as_text=True)
    assert "Every e-mail has been sent." in page
    assert post_form(client, f"/staff/outgoing-mail/{mail.id}/send-again", {},
                     page="/staff/outgoing-mail").status_code == 404


@pytest.mark.parametrize("role", ["clinician", "front_desk", "billing", "patient"])
def test_only_admins_see_outgoing_mail(app, client, clinic, role):
    login_as(client, make_user(role))
    assert client.get("/staff/outgoing-mail").status_code == 404


def test_the_send_mail_command_sends_once_and_reports(app, clinic, smtp):
    _queue(2, clinic)
    result = app.test_cli_runner().invoke(args=["portal", "send-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent: 2" in result.output
    assert len(smtp.envelopes) == 2


def test_the_send_mail_service_loop_sends_and_stops_on_sigterm(app, clinic, smtp, tmp_path):
    """`flask portal send-mail` as systemd runs it: a loop, ended by SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    _queue(2, clinic)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PORTAL_ENV": "testing", "PORTAL_INSTANCE_DIR": str(tmp_path),
           "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(smtp.port),
           "PORTAL_MAIL_POLL_SECONDS": "1"}
    service = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "portal",
                                "send-mail"], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while len(smtp.envelopes) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        _queue(1, clinic)  # a mail written while the service runs goes out too
        deadline = time.monotonic() + 20
        while len(smtp.envelopes) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        service.send_signal(signal.SIGTERM)
        output = service.communicate(timeout=20)[0].decode()
    assert len(smtp.envelopes) == 3, output
    assert service.returncode == 0, output
    assert {r.status for r in _rows()} == {SENT}
