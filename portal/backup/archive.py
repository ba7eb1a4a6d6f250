"""The backup archive: one .tar.gz holding the database and a manifest.

    database/portal.sqlite3   (or database/portal.pgdump: pg_dump's custom format)
    manifest.json             written last, because it lists every other member's sha256

Uploaded files are rows of the database. Archives made before they were (migration
0012_files) also hold uploads/..., the upload folder's files; those are still read.

Reading is one streaming pass: each member is unpacked to the place the caller names
while its checksum is taken, and only then compared with the manifest, so a damaged
archive is found out before anything live is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/portal.sqlite3", "postgresql": "database/portal.pgdump"}
#: Where archives made before files moved into the database kept the upload folder.
UPLOADS = "uploads"
_CHUNK = 1 << 20
_MANIFEST_LIMIT = 16 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def database_kind(engine: Engine) -> str:
    """The kind of the configured database: "sqlite" or "postgresql" (the two backed up)."""
    kind = engine.url.get_backend_name()
    if kind not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    return kind


class _Hashing:
    """A file wrapper that takes the sha256 of what is read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


def _private(path, flags):
    return os.open(path, flags, 0o600)


class ArchiveWriter:
    """Writes a new archive, readable by its owner only, under a temporary name.

    The archive gets its real name only once it is complete, so an interrupted backup
    never leaves a file that looks like a good one.
    """

    def __init__(self, target: Path):
        if target.exists():
            raise BackupError(f"{target} already exists; choose another name.")
        self.target = target
        self.partial = target.with_name(f".{target.name}.partial")
        self._file = open(self.partial, "xb", opener=_private)  # closed by finish or __exit__
        self._tar = tarfile.open(fileobj=self._file, mode="w:gz", compresslevel=6)
        self.files: dict[str, dict] = {}

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if not self._file.closed:
            self._tar.close()
            self._file.close()
        self.partial.unlink(missing_ok=True)

    def add_file(self, name: str, path: Path) -> bool:
        """Add the file at `path` as `name`; False when it vanished before it could be read."""
        try:
            source = open(path, "rb")
        except FileNotFoundError:
            return False
        with source:
            facts = os.fstat(source.fileno())
            reader = _Hashing(source)
            self._tar.addfile(_member(name, facts.st_size, facts.st_mtime), reader)
        self.files[name] = {"sha256": reader.sha256.hexdigest(), "size": facts.st_size}
        return True

    def finish(self, manifest: dict) -> None:
        """Write the manifest (with every member's checksum), then give the archive its name."""
        data = json.dumps({**manifest, "files": self.files}, indent=2, sort_keys=True).encode()
        info = _member(MANIFEST, len(data), None)
        self._tar.addfile(info, _Bytes(data))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.target)


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at:end], min(end, len(self.data))
        return chunk


def _member(name: str, size: int, mtime: float | None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o600
    info.mtime = int(mtime if mtime is not None else time.time())
    return info


def _checked_name(member: tarfile.TarInfo, archive: Path) -> str:
    name = member.name.rstrip("/") if member.isdir() else member.name
    parts = name.split("/")
    safe = (not name.startswith("/") and "\\" not in name and "\x00" not in name
            and all(part not in ("", ".", "..") for part in parts))
    if not safe or not (name == MANIFEST or (parts[0] in ("database", UPLOADS)
                                             and (len(parts) > 1 or member.isdir()))):
        raise BackupError(f"{archive.name} holds a member named {name!r}, which a portal "
                          "backup never has: it is not a portal backup.")
    if not (member.isfile() or member.isdir()):
        raise BackupError(f"{archive.name} holds {name!r}, which is not a plain file: it is "
                          "not a portal backup.")
    return name


def read_archive(archive: Path, destination: Callable[[str], Path]) -> dict:
    """Unpack every member to `destination(name)`, check all against the manifest, return it.

    Raises BackupError for an archive that is damaged, incomplete or not a portal backup.
    Files already unpacked are the caller's to remove.
    """
    found: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                name = _checked_name(member, archive)
                if member.isdir():
                    continue
                if name in found or (name == MANIFEST and manifest is not None):
                    raise BackupError(f"{archive.name} holds {name!r} twice: it is not a "
                                      "portal backup.")
                source = tar.extractfile(member)
                if name == MANIFEST:
                    if member.size > _MANIFEST_LIMIT:
                        raise BackupError(f"{archive.name}: its manifest is too large.")
                    manifest = json.loads(source.read().decode("utf-8"))
                    continue
                found[name] = _unpack(source, destination(name))
    except (tarfile.TarError, EOFError, zlib.error, ValueError) as error:
        raise BackupError(f"{archive.name} cannot be read: it is damaged, incomplete or not "
                          f"a portal backup ({error}). Nothing was changed.") from None
    _check_manifest(archive, manifest, found)
    return manifest


def _unpack(source, target: Path) -> str:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    sha256 = hashlib.sha256()
    with open(target, "xb", opener=_private) as out:
        while chunk := source.read(_CHUNK):
            sha256.update(chunk)
            out.write(chunk)
    return sha256.hexdigest()


def _check_manifest(archive: Path, manifest, found: dict[str, str]) -> None:
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{archive.name} has no manifest: it is incomplete or not a portal "
                          "backup. Nothing was changed.")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive.name} is in backup format {manifest.get('format')!r}, "
                          f"which this portal does not read (it reads format {FORMAT}).")
    try:
        expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    except (TypeError, KeyError):
        raise BackupError(f"{archive.name}: its manifest is damaged. Nothing was changed.") \
            from None
    wrong = sorted(name for name in expected.keys() & found.keys()
                   if expected[name] != found[name])
    missing = sorted(expected.keys() - found.keys())
    unlisted = sorted(found.keys() - expected.keys())
    if wrong or missing or unlisted:
        problems = [f"{len(names)} {what} (e.g. {names[0]})" for names, what in (
            (wrong, "member(s) differ from their checksum"), (missing, "member(s) missing"),
            (unlisted, "member(s) not in the manifest")) if names]
        raise BackupError(f"{archive.name} failed its checks: {'; '.join(problems)}. The "
                          "archive is damaged; use another copy. Nothing was changed.")
