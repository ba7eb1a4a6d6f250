"""SQLite: a consistent copy of the live database, and putting a copy back.

Both directions go through SQLite's online backup API, never a file copy, because the
portal keeps its database in WAL mode: recent commits may still sit in the -wal file,
and a running portal holds the -wal and -shm files open. The backup API reads a
consistent snapshot while the portal goes on writing, and writes a restored database
as one transaction that the portal's own connections see at once.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import Engine

from portal.backup.archive import BackupError

_BUSY_SECONDS = 30


def database_path(engine: Engine) -> Path:
    """The file of the configured SQLite database."""
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("The SQLite database is not a plain file (PORTAL_DATABASE_URL); "
                          "only a database file can be backed up or restored.")
    return Path(name)


def copy_online(live: Path, target: Path) -> str | None:
    """Copy the live database into the new file `target`; return its Alembic revision.

    Safe while the portal runs: the copy is the database as of one moment.
    """
    if not live.is_file():
        raise BackupError(f"There is no database at {live} to back up (PORTAL_DATABASE_URL).")
    with closing(sqlite3.connect(live, timeout=_BUSY_SECONDS)) as source, \
            closing(sqlite3.connect(target)) as copy:
        try:
            source.backup(copy)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite could not copy {live}: {error}.") from None
        # One self-contained file: no -wal beside it in the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
    check(target)
    return revision_of(target)


def revision_of(path: Path) -> str | None:
    """The Alembic revision the database file at `path` is at (None before any migration)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


def check(path: Path) -> None:
    """Raise BackupError unless the file at `path` is a sound SQLite database."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        result = str(error)
    if result != "ok":
        raise BackupError(f"The database in the backup is damaged ({result}). Nothing was "
                          "changed; use another copy.")


def replace_database(restored: Path, live: Path) -> None:
    """Make the live database an exact copy of the checked database file `restored`.

    With no live database yet (a new server), the file is moved into place. Otherwise
    every page is written into the live database in one SQLite transaction: a reader
    sees the old database or the restored one, never a mix, and a crash or power loss
    halfway leaves the old one.
    """
    if not live.exists():
        live.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (f"{live}-wal", f"{live}-shm", f"{live}-journal"):
            Path(leftover).unlink(missing_ok=True)
        os.replace(restored, live)
        return
    with closing(sqlite3.connect(f"file:{restored}?mode=ro", uri=True)) as source, \
            closing(sqlite3.connect(live, timeout=_BUSY_SECONDS)) as target:
        try:
            source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(
                f"The current database {live} could not be replaced ({error}); it is "
                "unchanged. If it is damaged, stop the portal, move it and its -wal and -shm "
                "files aside, and run the restore again.") from None
