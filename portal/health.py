"""`/healthz` for monitoring and the proxy: is this worker up, and can the database store?

Deliberately bare: plain text, no template, no session or cookie, no audit line, no
rate limit, and it never counts as activity for anyone's idle timer (it does not look
at who is signed in at all).

Reading is not enough: a database that answers SELECT but cannot store (disk full,
read-only file or replica) turns every sign-in and every form into an error page. So the
probe writes: it updates the one row of `heartbeat` and commits. Where the database is a
SQLite file, the free space on its disk is checked too, because SQLite may still fit a
small write in space it took earlier while a larger one fails.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db, limiter
from portal.types import UTCDateTime, utcnow

bp = Blueprint("health", __name__)


class Heartbeat(db.Model):
    """One row, written by every health check: proof that the database can store."""

    __tablename__ = "heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})


def write_probe() -> None:
    """Store the time in the heartbeat row (making it when missing) and commit: one
    statement either way, so a probe costs the same on a new database as on an old one."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    db.session.execute(insert(Heartbeat).values(id=1, beat_at=now).on_conflict_do_update(
        index_elements=[Heartbeat.id], set_={"beat_at": now}))
    db.session.commit()


def database_free_bytes() -> int | None:
    """Free space on the disk of a SQLite database file; None for other databases."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return shutil.disk_usage(Path(url.database).resolve().parent).free


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answer "ok" when the database stores a heartbeat and has room, else 503."""
    try:
        write_probe()
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.error("Health check: the database cannot store (%s)",
                                 type(error).__name__)
        return _plain("database cannot store", 503)
    finally:
        db.session.close()
    free = database_free_bytes()
    if free is not None and free < current_app.config["HEALTH_MIN_FREE_MB"] * 1024 * 1024:
        current_app.logger.error("Health check: %s MB free on the database's disk",
                                 free // (1024 * 1024))
        return _plain("database disk full", 503)
    return _plain("ok", 200)
