"""`/healthz` for monitoring and the proxy: is this worker up, and does the database answer?

Deliberately bare: plain text, no template, no session or cookie, no audit line, no
rate limit, and it never counts as activity for anyone's idle timer (it does not look
at who is signed in at all).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter

bp = Blueprint("health", __name__)


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain",
                    headers={"Cache-Control": "no-store"})


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answer "ok" when the database runs `SELECT 1`, else 503."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.error("Health check: the database did not answer (%s)",
                                 type(error).__name__)
        return _plain("database unavailable", 503)
    finally:
        db.session.close()
    return _plain("ok", 200)
