"""Outgoing mail: plain text in the recipient's language, over SMTP or into an outbox folder.

Every message comes from a template `templates/mail/<name>.txt` with two blocks,
`subject` and `body`. E-mails never contain health information: they say that
something is waiting in the portal and link to it.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale
from jinja2_fragments.flask import render_block

from portal.clinic import current_clinic


def portal_url(endpoint: str, **values) -> str:
    """An address on the portal for an e-mail or letter, from PORTAL_BASE_URL.

    Never from the request's Host header: a link built from it would let someone send a
    victim a genuine reset link pointing at their own server.
    """
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def render_mail(template: str, locale: str | None, **context) -> tuple[str, str]:
    """The subject and body of a mail template in `locale`."""
    name = f"mail/{template}.txt"
    with force_locale(locale or current_clinic().default_locale):
        subject = render_block(name, "subject", **context).strip()
        body = render_block(name, "body", **context).strip() + "\n"
    return " ".join(subject.split()), body


def send_mail(to: str, template: str, locale: str | None = None, **context) -> EmailMessage:
    """Send one plain-text message; in development without SMTP, write it to the outbox."""
    clinic = current_clinic()
    subject, body = render_mail(template, locale, clinic=clinic, **context)
    message = EmailMessage()
    message["From"] = f"{clinic.name} <{current_app.config['MAIL_FROM']}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="portal")
    message.set_content(body)
    host = current_app.config.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    else:
        _write_to_outbox(message)
    return message


def _write_to_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = message["Message-ID"].strip("<>").split("@")[0]
    path = outbox / f"{stamp}.eml"
    path.write_bytes(bytes(message))
    # Not the address: that someone gets mail from a clinic is itself health data.
    current_app.logger.info("Mail written to %s", path)
    return path
