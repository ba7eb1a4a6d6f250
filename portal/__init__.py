"""The patient portal: a server-rendered Flask application made faster by htmx."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from portal.config import ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=None)
    app.config.update(load_config(config))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)

    from portal import assets, cli, errors, i18n, logs, security, submissions, templating
    from portal.extensions import babel, compress, csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    _attach_listeners(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    from portal.rate_limits import storage_options

    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", storage_options(app.config))
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   timezone_selector=i18n.select_timezone)
    # templating.init_app hands templates the signed-in user itself, not Flask-Login's proxy.
    login_manager.init_app(app, add_context_processor=False)
    from portal.auth import routes as auth_routes
    from portal.auth import sessions

    login_manager.user_loader(sessions.load_user)
    login_manager.unauthorized_handler(auth_routes.unauthorized)

    logs.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    submissions.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    assets.init_app(app)
    return app


def _attach_listeners(app: Flask) -> None:
    """Event listeners of this app: SQLite settings on its own engines, the audit guard."""
    from portal import audit
    from portal.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
    audit.install_guards()


def _register_blueprints(app: Flask) -> None:
    from portal.account import bp as account_bp
    from portal.appointments import bp as appointments_bp
    from portal.auth import bp as auth_bp
    from portal.billing import bp as billing_bp
    from portal.corrections import bp as corrections_bp
    from portal.family import bp as family_bp
    from portal.health import bp as health_bp
    from portal.help import bp as help_bp
    from portal.messages import bp as messages_bp
    from portal.questionnaires import bp as questionnaires_bp
    from portal.records import bp as records_bp
    from portal.staff import bp as staff_bp
    from portal.terminology import bp as terminology_bp

    for blueprint in (health_bp, help_bp, auth_bp, records_bp, account_bp, staff_bp,
                      messages_bp, appointments_bp, billing_bp, questionnaires_bp, family_bp,
                      corrections_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(terminology_bp)


def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: write-ahead log for concurrent readers, foreign keys enforced, wait when busy."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
