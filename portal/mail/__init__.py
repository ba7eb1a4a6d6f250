"""Outgoing mail: plain text in the recipient's language, through an outbox.

`send_mail` renders the message and adds it to the outbox table in the caller's
transaction: it is stored together with the change it tells about, or not at all, and
no page ever waits for a mail server. A separate process (`flask portal send-mail`, see
`portal.mail.delivery`) hands the stored messages to the SMTP server, with retries.

Every message comes from a template `templates/mail/<name>.txt` with two blocks,
`subject` and `body`. E-mails never contain health information: they say that
something is waiting in the portal and link to it.
"""

from __future__ import annotations

import secrets

from flask import current_app, url_for
from flask_babel import force_locale
from jinja2_fragments.flask import render_block

from portal.clinic import current_clinic
from portal.extensions import db
from portal.mail.models import OutgoingMail
from portal.types import utcnow


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


def new_message_id(domain: str) -> str:
    """A Message-ID unique by its random part from `secrets`, short enough to stay on one
    header line. (email.utils.make_msgid draws from the `random` module, whose state others
    may set: a test framework that seeds it made two mails in one hundredth of a second
    share an id.)"""
    return f"<{utcnow():%Y%m%d%H%M%S}.{secrets.token_hex(8)}@{domain}>"


def send_mail(to: str, template: str, locale: str | None = None, **context) -> OutgoingMail:
    """Put one plain-text message in the outbox, to be committed with the caller's change.

    The caller commits (or rolls back) as usual; the mail leaves only once that commit
    has happened, so a change that is not saved sends nothing.
    """
    clinic = current_clinic()
    subject, body = render_mail(template, locale, clinic=clinic, **context)
    sender = current_app.config["MAIL_FROM"]
    mail = OutgoingMail(
        # Fixed once, here: a copy sent again after a crash carries the same Message-ID,
        # so mail servers and clients can recognise it as the same message.
        message_id=new_message_id(sender.rpartition("@")[2] or "portal"),
        from_header=f"{clinic.name} <{sender}>", to_address=to, subject=subject, body=body,
        template=template)
    db.session.add(mail)
    return mail
