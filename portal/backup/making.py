"""Making a backup: the database (which holds the uploaded files too), into one new archive."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from portal.backup import postgres, sqlite
from portal.backup.archive import (
    DATABASE_MEMBERS,
    FORMAT,
    ArchiveWriter,
    BackupError,
    database_kind,
)
from portal.extensions import db

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


@dataclass(frozen=True)
class Backup:
    """A finished backup: where it is, and how big."""

    path: Path
    size: int


def archive_path(output: Path | None, now: datetime) -> Path:
    """Where the new archive goes: `output` if it names an archive file, else a folder.

    The folder (the instance folder's backups/ when none is given) is made if missing.
    """
    if output is not None and output.name.endswith(ARCHIVE_SUFFIXES) and not output.is_dir():
        folder, target = output.parent, output
        if not folder.is_dir():
            raise BackupError(f"The folder {folder} does not exist.")
    else:
        folder = output or Path(current_app.config["INSTANCE_DIR"]) / "backups"
        target = folder / f"portal-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return target


def _portal_version() -> str:
    try:
        return metadata.version("patient-portal")
    except metadata.PackageNotFoundError:
        return "unknown"


def create_backup(output: Path | None = None) -> Backup:
    """Write the database into one new archive, readable by its owner.

    Uploaded files are rows of the database (portal/files.py), so the copy holds them,
    consistent with the rows they belong to.
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
            archive.finish({"format": FORMAT, "portal_version": _portal_version(),
                            "created_at": now.isoformat(timespec="seconds"),
                            "alembic_revision": revision, "database": facts})
    return Backup(path=target, size=target.stat().st_size)


def _live_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
