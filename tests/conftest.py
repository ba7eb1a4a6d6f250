"""Fixtures every test can use: the app on a migrated database, a client, factories.

The database is SQLite in a temporary folder unless PORTAL_TEST_DATABASE_URL names
another (CI runs the suite again on PostgreSQL). The schema comes from the Alembic
migrations, as in production; every test starts from empty tables.

`make test` runs the suite in parallel (pytest-xdist): each worker process has its own
database, made here when the worker starts (SQLite: a file in the worker's own temporary
folder; PostgreSQL: `<test database>_gw0`, `_gw1`, ... on the same server), so workers
never see each other's rows. Tests of one file stay on one worker (their module fixtures
are made once), except those of the crawls (SPREAD below): each of those goes to whichever
worker is free, and they go first.
"""

from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager
from datetime import date
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.clinic_setup import save_clinic
from portal.extensions import db as _db
from portal.models import Patient, User
from portal.security import hash_password

#: Demo data, the live server, Chromium and axe-core, for browser tests in any folder; the
#: quality gates' report, written at the end of the run.
pytest_plugins = ("tests.quality.fixtures", "tests.quality.report")

PASSWORD = "correct horse battery staple"
_hash_cache: dict[str, str] = {}


def _worker_database(url: str, worker: str) -> str:
    """A PostgreSQL database of the worker's own next to `url`'s, created when missing."""
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": own.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        admin.dispose()
    return own.render_as_string(hide_password=False)


def pytest_configure(config):
    """In a pytest-xdist worker on PostgreSQL: point the suite at the worker's own database.

    The environment variable itself is changed, before any test module is imported, so
    the tests that read it (backups, gunicorn) use the worker's database too.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if worker and url.startswith("postgresql"):
        os.environ["PORTAL_TEST_DATABASE_URL"] = _worker_database(url, worker)


#: The whole-site crawls, longest first: each of their tests may run on its own worker, and
#: they start first, so that the workers finish together.
SPREAD = ("tests/quality/test_browser.py", "tests/quality/test_query_growth.py",
          "tests/quality/test_pages.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (`-n`): a file's tests on one worker, except the crawls (SPREAD).

    One worker per file makes a module fixture (the imported bundles, a gunicorn) once.
    xdist's own `--dist loadgroup` would do this with markers, but it cannot rename test
    ids under pytest 9, so the grouping is done here, by file name.
    """
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileOrCrawlTest(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    config.option.loadscopereorder = False  # keep the order below: the crawls first
    return FileOrCrawlTest(config, log)


def pytest_collection_modifyitems(config, items):
    """The crawls first, longest first; the rest in the order collected."""
    def rank(item) -> int:
        path = item.location[0]
        return SPREAD.index(path) if path in SPREAD else len(SPREAD)

    items.sort(key=rank)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.db'}"


def _drop_everything() -> None:
    """Empty a PostgreSQL test database so migrations run from nothing."""
    engine = _db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


class RequestIsolatingClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Without this, requests would share the test's app context, and with it `g` (cached
    user, CSRF token, clinic settings) and the database session. Before and after each
    request the test's own session is committed, so the request sees what the test made
    and the test then sees what the request stored.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            _db.session.commit()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application on a freshly migrated test database."""
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "ENV_NAME": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "INSTANCE_DIR": str(instance),
        "OUTBOX_DIR": str(instance / "outbox"),
        "OLD_UPLOAD_DIR": str(instance / "uploads"),
        "SERVER_NAME": None,
        "FAST_PASSWORD_HASHING": True,
    })
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        _drop_everything()
        upgrade()
    yield app


@pytest.fixture(autouse=True)
def db(app):
    """An app context with empty tables; everything written is removed afterwards."""
    from portal.extensions import limiter

    limiter.reset()
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clinic(db):
    """The clinic's settings as a small Dutch practice would have them."""
    return save_clinic(name="Test Clinic", phone="+31 20 123 4567", email="desk@test.example",
                       address="Teststraat 1, 1000 AA Amsterdam", emergency_number="112",
                       timezone="Europe/Amsterdam")


_counter = {"n": 0}


def make_patient(**values) -> Patient:
    """A patient with plausible defaults; any field can be given."""
    _counter["n"] += 1
    n = _counter["n"]
    defaults = dict(patient_number=f"T-{n:06d}", given_name="Anna", family_name=f"Test{n}",
                    birth_date=date(1980, 1, 1), email=f"patient{n}@mail.example")
    defaults.update(values)
    patient = Patient(**defaults)
    _db.session.add(patient)
    _db.session.commit()
    return patient


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(role: str = "patient", patient: Patient | None = None, password: str = PASSWORD,
              **values) -> User:
    """A user who can sign in with `password`; a patient user gets a patient if none given.

    Staff get an authenticator (TOTP_SECRET) because staff must always use one.
    """
    if role == "patient" and patient is None:
        patient = make_patient()
    _counter["n"] += 1
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    defaults = dict(username=f"user{_counter['n']}", role=role, patient=patient,
                    display_name=patient.full_name if patient else f"Staff {_counter['n']}",
                    email=f"user{_counter['n']}@mail.example",
                    password_hash=_hash_cache[password])
    if role != "patient":
        defaults.update(second_factor="totp", totp_secret=TOTP_SECRET)
    defaults.update(values)
    user = User(**defaults)
    _db.session.add(user)
    _db.session.commit()
    return user


def csrf_token(client, url: str) -> str:
    """The CSRF token from the form on the page at `url`."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Submit a form the way a browser does: fetch the page for its token, then post."""
    payload = {"csrf_token": csrf_token(client, page or url), **data}
    return client.post(url, data=payload, **kwargs)


def totp_now(user: User) -> str:
    """The user's current authenticator code, usable again (the replay guard is reset)."""
    import pyotp

    user.totp_last_step = None
    _db.session.commit()
    return pyotp.TOTP(user.totp_secret).now()


def login_as(client, user: User, password: str = PASSWORD):
    """Sign `user` in through the real sign-in form (and the code step, when they have one)."""
    response = post_form(client, "/sign-in", {"identifier": user.username, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    if response.headers["Location"] == "/sign-in/code":
        response = post_form(client, "/sign-in/code", {"code": totp_now(user)})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block: `with count_queries() as n: ...; n()`."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def factories():
    """The factory helpers, for tests that prefer a fixture to an import."""
    return {"patient": make_patient, "user": make_user, "login": login_as}


def send_outbox() -> dict:
    """Run the mail sender once, as `flask portal send-mail --once` does.

    Pages only store their mails in the outbox table; this sends what is due to the SMTP
    server (PORTAL_SMTP_HOST) or, without one, writes it to the outbox folder. Returns
    the sender's counts (sent, to try again, given up).
    """
    from portal.mail.delivery import deliver_due

    _db.session.commit()
    return deliver_due()


class Outbox:
    """The mails the portal sent during a test: the sender is run once, then the folder read."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self):
        send_outbox()
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [message_from_bytes(p.read_bytes(), policy=default_policy) for p in paths]

    def to(self, address: str):
        return [m for m in self.messages() if m["To"] == address]

    def last_body(self, address: str) -> str:
        found = self.to(address)
        assert found, f"no mail to {address}"
        return found[-1].get_content()

    def clear(self):
        """Forget every mail so far, those still waiting in the outbox table too."""
        send_outbox()
        for path in self.folder.glob("*.eml"):
            path.unlink()


@pytest.fixture
def outbox(app):
    """The development outbox, emptied before and after the test."""
    box = Outbox(Path(app.config["OUTBOX_DIR"]))
    box.clear()
    yield box
    box.clear()
