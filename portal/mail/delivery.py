"""Delivery of the outbox: claim one mail at a time, hand it to SMTP, mark it sent.

Run by `flask portal send-mail` (a loop under systemd, or `--once` from cron), never by a
page. Several senders may run at once: a mail is claimed with one conditional UPDATE
(on PostgreSQL its row is picked with FOR UPDATE SKIP LOCKED), so only one of them
sends it.

At least once, never silently lost: the claim is committed before the SMTP call and the
mail is marked sent right after the server accepts it. If the process dies between the
two (power cut, `kill -9`), the claim expires after `PORTAL_MAIL_CLAIM_MINUTES` and the
mail is sent again, with the same Message-ID header, so the copy can be recognised.
That window is one SMTP transaction long; a normal stop (SIGTERM) finishes the mail in
hand first.
"""

from __future__ import annotations

import secrets
import signal
import smtplib
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from portal.extensions import db
from portal.mail.models import DEAD, PENDING, SENDING, SENT, OutgoingMail
from portal.types import utcnow

#: Sent mails (address and subject, the body is already gone) are kept this long.
KEEP_SENT_DAYS = 30
#: The longest wait between two attempts, however many failed.
MAX_BACKOFF = timedelta(hours=6)
#: The longest pause of the sender loop while the mail server cannot be reached.
MAX_IDLE_SECONDS = 300


class ServerUnreachable(Exception):
    """The mail server cannot be reached; the other mails wait for the next round."""


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling, capped."""
    base = current_app.config["MAIL_RETRY_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _due(now: datetime):
    expired = now - timedelta(minutes=current_app.config["MAIL_CLAIM_MINUTES"])
    return or_(and_(OutgoingMail.status == PENDING, OutgoingMail.next_attempt_at <= now),
               and_(OutgoingMail.status == SENDING, OutgoingMail.claimed_at < expired))


def claim_next(now: datetime | None = None) -> OutgoingMail | None:
    """Claim the next due mail for this sender, or None when nothing is due."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    # Not correlated with the UPDATE below: one row of the whole table, not each row's own.
    pick = (select(OutgoingMail.id).where(_due(now)).correlate(None)
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(1))
    if db.engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    # The condition is checked again in the UPDATE itself: of two senders that picked the
    # same row, only the first one's UPDATE still finds it due.
    claimed = db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id == pick.scalar_subquery(), _due(now))
        .values(status=SENDING, claim_token=token, claimed_at=now,
                attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    return db.session.scalar(select(OutgoingMail).where(OutgoingMail.claim_token == token))


def as_message(mail: OutgoingMail) -> EmailMessage:
    """The e-mail of an outbox row, the same bytes on every attempt."""
    message = EmailMessage()
    message["From"] = mail.from_header
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message.set_content(mail.body or "")
    return message


def _finish(mail: OutgoingMail, **values) -> None:
    """Change a claimed mail, if this sender's claim still holds."""
    db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id == mail.id,
                                   OutgoingMail.claim_token == mail.claim_token)
        .values(claim_token=None, **values).execution_options(synchronize_session=False))
    db.session.commit()


def reply_code(error: Exception) -> int:
    """The SMTP reply code of a refusal (the lowest, when every recipient was refused)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        return min(code for code, _text in error.recipients.values())
    return getattr(error, "smtp_code", 0) or 0


def _failed(mail: OutgoingMail, error: Exception, permanent: bool) -> str:
    code = reply_code(error)
    reason = f"{type(error).__name__}{f' {code}' if code else ''}"
    if permanent or mail.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _finish(mail, status=DEAD, last_error=reason)
        current_app.logger.error("Mail %s given up after %s attempts (%s)",
                                 mail.id, mail.attempts, reason)
        return DEAD
    _finish(mail, status=PENDING, last_error=reason,
            next_attempt_at=utcnow() + retry_delay(mail.attempts))
    current_app.logger.warning("Mail %s not sent (%s); trying again later", mail.id, reason)
    return PENDING


class _Transport:
    """One SMTP connection for a round, opened when the first mail needs it."""

    def __init__(self):
        self.host = current_app.config.get("SMTP_HOST")
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if not self.host:
            _write_to_folder(message)
            return
        try:
            if self.smtp is None:
                self.smtp = smtplib.SMTP(self.host, current_app.config["SMTP_PORT"],
                                         timeout=current_app.config["SMTP_TIMEOUT"])
            self.smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
            self.close()
            raise ServerUnreachable(type(error).__name__) from error
        except smtplib.SMTPException:
            raise  # a refusal of this one mail; the connection is still good
        except OSError as error:  # refused, reset, timed out (SMTPException is one too)
            self.close()
            raise ServerUnreachable(type(error).__name__) from error

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _write_to_folder(message: EmailMessage) -> Path:
    """Without an SMTP server (development, tests): one .eml file per mail."""
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(bytes(message))
    # Not the address: that someone gets mail from a clinic is itself health data.
    current_app.logger.info("Mail written to %s", path)
    return path


def deliver_due(limit: int | None = None, stop: threading.Event | None = None) -> dict:
    """Send every mail that is due now (at most `limit`); return how many went where."""
    counts = {SENT: 0, PENDING: 0, DEAD: 0}
    transport = _Transport()
    try:
        while (limit is None or sum(counts.values()) < limit) and not (stop and stop.is_set()):
            mail = claim_next()
            if mail is None:
                break
            try:
                transport.send(as_message(mail))
            except ServerUnreachable as error:
                counts[_failed(mail, error, permanent=False)] += 1
                break
            except smtplib.SMTPException as error:
                counts[_failed(mail, error, permanent=reply_code(error) >= 500)] += 1
                continue
            _finish(mail, status=SENT, sent_at=utcnow(), body=None, last_error=None)
            counts[SENT] += 1
    finally:
        transport.close()
    _forget_old_sent()
    return counts


def _forget_old_sent() -> None:
    cutoff = utcnow() - timedelta(days=KEEP_SENT_DAYS)
    db.session.execute(delete(OutgoingMail).where(OutgoingMail.status == SENT,
                                                  OutgoingMail.sent_at < cutoff))
    db.session.commit()


def run_forever(poll_seconds: float) -> None:
    """Send due mail until SIGTERM or SIGINT; the mail in hand is finished first."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    current_app.logger.info("Sending mail from the outbox every %s seconds", poll_seconds)
    failing = 0
    while not stop.is_set():
        try:
            counts = deliver_due(stop=stop)
            # Nothing got through: the server is down, so wait longer before the next
            # round rather than spend another mail's attempt every few seconds.
            failing = failing + 1 if counts[PENDING] and not counts[SENT] else 0
        except Exception:  # noqa: BLE001 - a database hiccup must not end the service
            db.session.rollback()
            current_app.logger.exception("Sending mail failed; trying again")
            failing += 1
        finally:
            db.session.remove()
        stop.wait(min(poll_seconds * 2 ** failing, MAX_IDLE_SECONDS))
