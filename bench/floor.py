"""The stack's floor: the least a signed-in, audited page costs with the portal's libraries.

`gunicorn bench.floor:app`, served like the portal and the bare app, answers one page that
does only what every page of a patient's record must do, with the libraries the design
card prescribes and none of the portal's own code:

- Flask-Login reads the signed session cookie and loads the user with one SQLAlchemy query;
- Flask-WTF puts a CSRF token in the page and Flask-Babel translates its three strings;
- the view adds one audit line and commits it (SQLite with the portal's settings: a
  write-ahead log, foreign keys, a busy timeout), because a view of health data is logged.

Its throughput next to the bare app's is the most any portal page can reach on this stack
and machine: a page that shows a record can only add to this work. `GET /sign-in` signs
the benchmark in: it answers with the session cookie.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, render_template
from flask_babel import Babel
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ _("Stack floor") }}</title></head>
<body><main><h1>{{ _("Hello, %(name)s", name=current_user.name) }}</h1>
<form method="post" action="/sign-out">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button type="submit">{{ _("Sign out") }}</button></form></main></body>
</html>
"""

app = Flask(__name__)
folder = Path(os.environ.get("PORTAL_INSTANCE_DIR") or tempfile.mkdtemp(prefix="bench-floor-"))
app.config.update(
    SECRET_KEY=os.environ.get("PORTAL_SECRET_KEY") or os.urandom(32).hex(),
    SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench-floor.db'}",
)
db = SQLAlchemy(app)
login_manager = LoginManager(app)
Babel(app)
CSRFProtect(app)
#: Compiled once, as every real page's template is (Jinja keeps compiled files cached);
#: `render_template_string` would compile it again on every request.
PAGE_TEMPLATE = app.jinja_env.from_string(PAGE)


def _portal_pragmas(dbapi_connection, connection_record):
    """The portal's SQLite settings (portal/__init__.py), so commits cost what they cost there."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=15000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")


class User(UserMixin, db.Model):
    __tablename__ = "floor_users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)


class AuditLine(db.Model):
    __tablename__ = "floor_audit"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, nullable=False)
    occurred_at = db.Column(db.DateTime, nullable=False)
    action = db.Column(db.String(40), nullable=False)


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id))


@app.get("/")
@login_required
def page():
    """The signed-in page: render, then log the view and commit."""
    body = render_template(PAGE_TEMPLATE)
    db.session.add(AuditLine(user_id=current_user.id, occurred_at=datetime.now(UTC),
                             action="record-viewed"))
    db.session.commit()
    return body


@app.get("/sign-in")
def sign_in():
    """Sign the benchmark in as the one user (there is nothing to protect here)."""
    login_user(db.session.get(User, 1))
    return "<!doctype html><title>Stack floor</title><p>Signed in.</p>"


with app.app_context():
    event.listen(db.engine, "connect", _portal_pragmas)
    db.create_all()
    if db.session.get(User, 1) is None:
        db.session.add(User(id=1, name="Oliver"))
        db.session.commit()
    db.engine.dispose()
