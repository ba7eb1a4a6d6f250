"""Backing up the database and uploaded files into one archive, and restoring from one.

A restore first unpacks the whole archive beside the live data and checks it (every
member's checksum, the kind of database, the migration it is at), and only then
replaces anything: a damaged or unsuitable backup changes nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from portal.backup import postgres, sqlite
from portal.backup.archive import (
    DATABASE_MEMBERS,
    UPLOADS,
    ArchiveWriter,
    BackupError,
    read_archive,
)
from portal.extensions import db

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


@dataclass(frozen=True)
class Backup:
    """A finished backup: where it is, how big, and how many uploaded files it holds."""

    path: Path
    size: int
    uploads: int


def database_kind(engine: Engine) -> str:
    """"sqlite" or "postgresql": the kinds of database that can be backed up."""
    kind = engine.url.get_backend_name()
    if kind not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    return kind


def archive_path(output: Path | None, now: datetime) -> Path:
    """Where the new archive goes: `output` if it names an archive file, else a folder.

    The folder (the instance folder's backups/ when none is given) is made if missing.
    """
    if output is not None and output.name.endswith(ARCHIVE_SUFFIXES) and not output.is_dir():
        if not output.parent.is_dir():
            raise BackupError(f"The folder {output.parent} does not exist.")
        return output
    folder = output or Path(current_app.config["INSTANCE_DIR"]) / "backups"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"portal-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def _portal_version() -> str:
    try:
        return metadata.version("patient-portal")
    except metadata.PackageNotFoundError:
        return "unknown"


def create_backup(output: Path | None = None) -> Backup:
    """Write the database and the upload folder into one new archive, readable by its owner.

    The database is copied first and the files after, so that files uploaded meanwhile
    are extra rather than missing.
    """
    now = datetime.now(UTC)
    target = archive_path(output, now)
    engine = db.engine
    kind = database_kind(engine)
    facts: dict = {"kind": kind, "member": DATABASE_MEMBERS[kind]}
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".portal-backup-") as work:
        copy = Path(work) / "database"
        if kind == "sqlite":
            revision = sqlite.copy_online(sqlite.database_path(engine), copy)
        else:
            facts.update(postgres.dump(engine, copy))
            revision = _live_revision(engine)
        with ArchiveWriter(target) as archive:
            archive.add_file(DATABASE_MEMBERS[kind], copy)
            uploads = archive.add_folder(UPLOADS, Path(current_app.config["UPLOAD_DIR"]))
            archive.finish({"format": 1, "portal_version": _portal_version(),
                            "created_at": now.isoformat(timespec="seconds"),
                            "alembic_revision": revision, "database": facts,
                            "uploads": uploads})
    return Backup(path=target, size=target.stat().st_size, uploads=uploads)


def _live_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


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
    def _live_uploads(self) -> Path:
        return Path(current_app.config["UPLOAD_DIR"]).resolve()

    def unpack(self) -> None:
        """Unpack and check the archive; raise BackupError if it must not be restored."""
        live = self._live_database
        work = self._temporary_dir(live.parent if live else
                                   Path(current_app.config["INSTANCE_DIR"]), "database")
        uploads = self._live_uploads
        if os.path.ismount(uploads):
            raise BackupError(f"The upload folder {uploads} is a mount point, which cannot "
                              "be swapped for the restored one. Set PORTAL_UPLOAD_DIR to a "
                              "folder inside it. Nothing was changed.")
        self.staged_database = work / "database"
        self.staged_uploads = self._temporary_dir(uploads.parent, uploads.name)

        def destination(name: str) -> Path:
            if name.startswith(f"{UPLOADS}/"):
                return self.staged_uploads / name.removeprefix(f"{UPLOADS}/")
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
        """Replace the live database, then the upload folder, with the backup's."""
        if self.kind == "sqlite":
            sqlite.replace_database(self.staged_database, self._live_database)
        else:
            self.dropped_tables = postgres.restore(
                db.engine, self.staged_database,
                self.manifest["database"].get("pg_dump_version"))
        _swap_folder(self.staged_uploads, self._live_uploads)

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
