"""Restoring a backup: check the whole archive first, then replace the live data.

The archive is unpacked beside the live data and checked (every member's checksum, the
kind of database, the migration it is at) before anything is replaced: a damaged or
unsuitable backup changes nothing.

An archive made before uploaded files moved into the database also holds the upload
folder. Its files are put back into the old upload folder (PORTAL_UPLOAD_DIR), where
`flask db upgrade` (migration 0012_files) finds them and moves them into the database.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import bindparam, text

from portal.backup import postgres, sqlite
from portal.backup.archive import (
    DATABASE_MEMBERS,
    UPLOADS,
    BackupError,
    database_kind,
    read_archive,
)
from portal.extensions import db


@dataclass
class Restore:
    """A checked backup, unpacked beside the live data, ready to replace it (see `apply`)."""

    archive: Path
    kind: str
    manifest: dict = field(default_factory=dict)
    head: str | None = None
    dropped_tables: list[str] = field(default_factory=list)
    staged_database: Path | None = None
    staged_uploads: Path | None = None
    _temporary: list[Path] = field(default_factory=list)

    @property
    def revision(self) -> str | None:
        return self.manifest.get("alembic_revision")

    @property
    def needs_upgrade(self) -> bool:
        """Whether the backup's database is at an older migration than this code."""
        return self.revision != self.head

    @property
    def uploads(self) -> int:
        """Uploaded files the archive holds as files (only archives made before 0012_files)."""
        return sum(name.startswith(f"{UPLOADS}/") for name in self.manifest["files"])

    def _temporary_dir(self, beside: Path, label: str) -> Path:
        beside.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(dir=beside, prefix=f".{label}.restore-"))
        self._temporary.append(path)
        return path

    @property
    def _live_database(self) -> Path | None:
        return sqlite.database_path(db.engine) if self.kind == "sqlite" else None

    @property
    def old_uploads(self) -> Path:
        """Where an old archive's files go for migration 0012_files to move them in."""
        return Path(current_app.config["OLD_UPLOAD_DIR"]).resolve()

    def _stage_uploads(self) -> Path:
        if self.staged_uploads is None:
            uploads = self.old_uploads
            if os.path.ismount(uploads):
                raise BackupError(f"The upload folder {uploads} is a mount point, which "
                                  "cannot be swapped for the restored one. Set "
                                  "PORTAL_UPLOAD_DIR to a folder inside it. Nothing was "
                                  "changed.")
            self.staged_uploads = self._temporary_dir(uploads.parent, uploads.name)
        return self.staged_uploads

    def unpack(self) -> None:
        """Unpack and check the archive; raise BackupError if it must not be restored."""
        live = self._live_database
        work = self._temporary_dir(live.parent if live else
                                   Path(current_app.config["INSTANCE_DIR"]), "database")
        self.staged_database = work / "database"

        def destination(name: str) -> Path:
            if name.startswith(f"{UPLOADS}/"):
                return self._stage_uploads() / name.removeprefix(f"{UPLOADS}/")
            if name == DATABASE_MEMBERS[self.kind]:
                return self.staged_database
            if name in DATABASE_MEMBERS.values():
                raise BackupError(self._wrong_kind(name))
            raise BackupError(f"{self.archive.name} holds {name!r}, which a portal backup "
                              "never has: it is not a portal backup.")

        self.manifest = read_archive(self.archive, destination)
        if DATABASE_MEMBERS[self.kind] not in self.manifest["files"]:
            raise BackupError(self._wrong_kind(None))
        self._check_revision()
        if self.kind == "sqlite":
            sqlite.check(self.staged_database)

    def _wrong_kind(self, member: str | None) -> str:
        names = {"sqlite": "a SQLite", "postgresql": "a PostgreSQL"}
        other = next((names[kind] for kind, name in DATABASE_MEMBERS.items()
                      if name == member), "no")
        return (f"{self.archive.name} holds {other} database, but this portal uses "
                f"{self.kind} (PORTAL_DATABASE_URL). Nothing was changed.")

    def _check_revision(self) -> None:
        script = ScriptDirectory(current_app.extensions["migrate"].directory)
        self.head = script.get_current_head()
        if self.revision is None:
            return
        try:
            known = script.get_revision(self.revision) is not None
        except CommandError:
            known = False
        if not known:
            raise BackupError(
                f"The backup is from a newer version of the portal: its database is at "
                f"migration {self.revision}, which this code does not know (it knows up to "
                f"{self.head}). Install that version of the portal or a newer one, then "
                "restore. Nothing was changed.")

    def apply(self) -> None:
        """Replace the live database with the backup's (and, from an old archive, the old
        upload folder with its files)."""
        if self.kind == "sqlite":
            sqlite.replace_database(self.staged_database, self._live_database)
        else:
            self.dropped_tables = postgres.restore(
                db.engine, self.staged_database,
                self.manifest["database"].get("pg_dump_version"))
        if self.staged_uploads is not None:
            _swap_folder(self.staged_uploads, self.old_uploads)
        self._record()

    def _record(self) -> None:
        """Write the restore's own audit line into the restored database: which backup
        (its file name and when it was made), by the clinic's system (no one signed in).

        Plain SQL with the columns every version of the audit table has, so that a backup
        from an older migration (upgraded afterwards) gets its line too.
        """
        from portal.audit import Action
        from portal.types import UTCDateTime, utcnow

        target = f"backup:{self.archive.name}; made:{self.manifest.get('created_at') or '-'}"
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO audit_events (occurred_at, action, outcome, target) "
                     "VALUES (:at, :action, 'success', :target)")
                .bindparams(bindparam("at", type_=UTCDateTime())),
                {"at": utcnow(), "action": Action.BACKUP_RESTORED.value, "target": target})

    def discard(self) -> None:
        """Remove whatever was unpacked and not used."""
        for path in self._temporary:
            shutil.rmtree(path, ignore_errors=True)

    def __enter__(self) -> Restore:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.discard()


def prepare_restore(archive: Path) -> Restore:
    """Unpack and check `archive` beside the live data; nothing live is changed yet.

    Use it as a context manager, so that what was unpacked is removed in any case.
    """
    restore = Restore(archive=archive, kind=database_kind(db.engine))
    try:
        restore.unpack()
    except BaseException:
        restore.discard()
        raise
    return restore


def _swap_folder(staged: Path, live: Path) -> None:
    """Put the folder `staged` in the place of `live` (two renames on one file system)."""
    staged.chmod(0o700)
    if not live.exists():
        os.rename(staged, live)
        return
    old = live.with_name(f".{live.name}.old-{secrets.token_hex(4)}")
    try:
        os.rename(live, old)
    except OSError as error:
        raise BackupError(f"The database was restored, but the upload folder {live} could "
                          f"not be replaced ({error}). Is it a mount point? Uploaded files "
                          "were not restored.") from None
    try:
        os.rename(staged, live)
    except OSError:
        os.rename(old, live)
        raise
    shutil.rmtree(old, ignore_errors=True)
