"""Rate-limit counters kept in the portal's own database, shared by every worker.

Flask-Limiter's `memory://` storage counts in each worker process alone, so with two
gunicorn workers a limit of 30 lets about twice as many requests through. This storage
keeps each counter as one row of the `rate_limits` table and changes it with a single
"insert, or add to the row that is there" statement, so simultaneous requests on several
workers all count, exactly, on SQLite as on PostgreSQL. Redis (`redis://...`) remains
the choice for a busy portal; this one needs nothing beyond the database.

`PORTAL_RATELIMIT_STORAGE_URI=database://` (the default) selects it. It implements the
fixed-window strategy the portal uses (Flask-Limiter's default).
"""

from __future__ import annotations

import os
import random
import time

from limits.storage import Storage
from sqlalchemy import Column, Float, Integer, String, Table, case, create_engine, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

SCHEME = "database"
#: Of the counters written, about one in this many also removes the expired rows, so the
#: table holds little more than the counters of the last window.
PURGE_ONE_IN = 50

rate_limits = Table(
    "rate_limits", db.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    #: Seconds since the epoch at which the counter's window ends.
    Column("expires_at", Float, nullable=False, index=True),
)


class DatabaseStorage(Storage):
    """A `limits` storage on the portal's database (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 database_url: str | None = None, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        if not database_url:
            raise ValueError("database:// rate limits need the portal's database URL")
        self.database_url = database_url
        self._engine: Engine | None = None
        self._pid: int | None = None

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def engine(self) -> Engine:
        """An engine of this process: never a connection opened before gunicorn forked."""
        if self._engine is None or self._pid != os.getpid():
            sqlite = self.database_url.startswith("sqlite")
            self._engine = create_engine(
                self.database_url, hide_parameters=True,
                **({"connect_args": {"timeout": 15}} if sqlite else {"pool_pre_ping": True}))
            self._pid = os.getpid()
        return self._engine

    def _insert(self):
        engine = self.engine()
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(rate_limits)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the counter `key`, starting a new window when the last one ended."""
        now = time.time()
        table = rate_limits
        fresh = table.c.expires_at <= now
        statement = self._insert().values(key=key, count=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((fresh, amount), else_=table.c.count + amount),
                  "expires_at": case((fresh, now + expiry), else_=table.c.expires_at)},
        ).returning(table.c.count)
        with self.engine().begin() as conn:
            count = conn.execute(statement).scalar_one()
            if random.randrange(PURGE_ONE_IN) == 0:
                conn.execute(delete(table).where(table.c.expires_at <= now))
        return count

    def get(self, key: str) -> int:
        with self.engine().connect() as conn:
            count = conn.execute(select(rate_limits.c.count).where(
                rate_limits.c.key == key, rate_limits.c.expires_at > time.time())).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        with self.engine().connect() as conn:
            expires = conn.execute(select(rate_limits.c.expires_at).where(
                rate_limits.c.key == key)).scalar()
        return expires if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine().connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine().begin() as conn:
            return conn.execute(delete(rate_limits)).rowcount

    def clear(self, key: str) -> None:
        with self.engine().begin() as conn:
            conn.execute(delete(rate_limits).where(rate_limits.c.key == key))


def storage_options(config: dict) -> dict:
    """Flask-Limiter's storage options for the configured storage URI."""
    if config["RATELIMIT_STORAGE_URI"].split(":", 1)[0] == SCHEME:
        return {"database_url": config["SQLALCHEMY_DATABASE_URI"]}
    return {}
