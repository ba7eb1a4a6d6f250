"""Small helpers the messaging tests share."""

from __future__ import annotations

import io

from sqlalchemy import select

from portal.extensions import db
from portal.messages.models import Message, Thread
from tests.conftest import post_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def send(client, team, subject="Question", body="Hello", file=None, **extra):
    """Write to the clinic through the compose form."""
    data = {"topic": str(team.id), "subject": subject, "body": body, **extra}
    if file is not None:
        data["attachment"] = (io.BytesIO(file[1]), file[0])
    return post_form(client, "/messages/new", data, content_type="multipart/form-data")


def threads():
    return list(db.session.scalars(select(Thread).order_by(Thread.id)))


def messages_of(thread):
    return list(db.session.scalars(select(Message).where(Message.thread_id == thread.id)
                                   .order_by(Message.id)))
