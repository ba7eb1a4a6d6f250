"""PostgreSQL: pg_dump into the archive, and pg_restore back into the configured database.

The client tools connect with the credentials in PORTAL_DATABASE_URL. The password goes
to them in the environment (PGPASSWORD), never on the command line, where every user of
the server could read it.

A restore runs pg_restore --clean --if-exists and feeds its SQL to psql in a single
transaction, so a restore that fails halfway leaves the database as it was. Tables the
backup does not hold (made by a migration newer than the backup) are dropped in that
same transaction: left behind, they would block the restore's own DROP TABLE (their
foreign keys point at its tables) and a later `flask db upgrade`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine

from portal.backup.archive import BackupError

CLIENT_PACKAGE = "postgresql-client"
#: How long a restore waits for a lock before it gives up (a portal still running).
LOCK_TIMEOUT = "30s"


def _quote(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key, value in url.query.items():
        parts[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in parts.items()
                        if value not in (None, ""))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def tool(name: str, server_major: int | None = None) -> str:
    """The path of a PostgreSQL client program, or a BackupError saying how to install it."""
    path = shutil.which(name)
    if path is None:
        version = f" (version {server_major} or newer)" if server_major else ""
        raise BackupError(f"{name} was not found on PATH. Install the PostgreSQL client "
                          f"tools{version}, e.g. on Debian or Ubuntu: "
                          f"apt-get install {CLIENT_PACKAGE}.")
    return path


def client_major(path: str) -> int:
    """The major version of a client program, from its --version ("pg_dump (PostgreSQL) 15.2")."""
    output = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+)", output) or re.search(r"(\d+)", output)
    if not found:
        raise BackupError(f"Could not tell the version of {path} from {output.strip()!r}.")
    return int(found.group(1))


def server_major(engine: Engine) -> int:
    """The major version of the PostgreSQL server the portal uses."""
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def require_version(name: str, client: int, needed: int, why: str) -> None:
    """Raise BackupError when client program `name` (major `client`) is older than `needed`."""
    if client < needed:
        raise BackupError(
            f"{name} is version {client}, older than {why} (PostgreSQL {needed}). Install "
            f"the PostgreSQL {needed} client tools (e.g. apt-get install "
            f"{CLIENT_PACKAGE}-{needed}) and put them first on PATH.")


def dump(engine: Engine, target: Path) -> dict:
    """Write the database to `target` with pg_dump (custom format); return version facts."""
    server = server_major(engine)
    pg_dump = tool("pg_dump", server)
    client = client_major(pg_dump)
    require_version("pg_dump", client, server, "the database server")
    conninfo, env = connection(engine.url)
    result = subprocess.run([pg_dump, "--format=custom", f"--file={target}",
                             f"--dbname={conninfo}"], capture_output=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_errors(result.stderr)}")
    return {"server_version": server, "pg_dump_version": client}


def tables_in(pg_restore: str, dump_file: Path) -> set[str]:
    """The names of the tables in the public schema of a pg_dump archive."""
    result = subprocess.run([pg_restore, "--list", str(dump_file)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore cannot read the database in the backup: "
                          f"{_errors(result.stderr.encode())}")
    return set(re.findall(r"^\d+; \d+ \d+ TABLE public (\S+) ", result.stdout, re.M))


def restore(engine: Engine, dump_file: Path, made_with: int | None) -> list[str]:
    """Replace the database's contents with the dump, in one transaction.

    Returns the names of the tables dropped because the backup did not hold them.
    """
    pg_restore = tool("pg_restore", made_with)
    psql = tool("psql")
    if made_with:
        require_version("pg_restore", client_major(pg_restore), made_with,
                        "the pg_dump that made the backup")
    with engine.connect() as conn:
        live = set(conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    leftovers = sorted(live - tables_in(pg_restore, dump_file))
    conninfo, env = connection(engine.url)
    first = f"SET lock_timeout = '{LOCK_TIMEOUT}';" + "".join(
        ' DROP TABLE IF EXISTS public."{}" CASCADE;'.format(name.replace('"', '""'))
        for name in leftovers)
    _load([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--file=-",
           str(dump_file)],
          [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
           f"--dbname={conninfo}", "--command", first, "--file=-"], env)
    return leftovers


def _load(script_args: list[str], loader_args: list[str], env: dict[str, str]) -> None:
    """Run the SQL pg_restore writes through psql, keeping our lock timeout in force.

    The script sets lock_timeout to 0 (wait for ever); a portal still running with a
    transaction open would then make the restore hang. The line is swapped for ours, so
    the restore gives up instead and says why.
    """
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as load_errors:
        script = subprocess.Popen(script_args, stdout=subprocess.PIPE, stderr=script_errors,
                                  env=env)
        loader = subprocess.Popen(loader_args, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=load_errors, env=env)
        try:
            for line in script.stdout:
                if line.startswith(b"SET lock_timeout = "):
                    loader.stdin.write(f"SET lock_timeout = '{LOCK_TIMEOUT}';\n".encode())
                    break  # the rest goes through unread
                loader.stdin.write(line)
            shutil.copyfileobj(script.stdout, loader.stdin, 1 << 20)
        except BrokenPipeError:  # psql stopped at an error; its message says which
            pass
        with contextlib.suppress(BrokenPipeError):
            loader.stdin.close()
        loader.wait()
        script.stdout.close()
        script.wait()
        if loader.returncode != 0 or script.returncode != 0:
            script_errors.seek(0)
            load_errors.seek(0)
            messages = load_errors.read() + b"\n" + script_errors.read()
            advice = (" Other connections hold locks on its tables: stop the portal (and "
                      "anything else using the database) and run the restore again."
                      if b"lock timeout" in messages else "")
            raise BackupError("The database could not be restored; it is unchanged. "
                              + _errors(messages) + advice)


def _errors(stderr: bytes) -> str:
    """The error lines of a client program's output, without the rows or SQL it may quote."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    quoted = ("DETAIL", "CONTEXT", "LINE", "HINT", "QUERY", "COMMAND")
    kept = [line[:300] for line in lines if line and ("error" in line.lower()
            or "fatal" in line.lower()) and not line.startswith(quoted)]
    return " | ".join(kept[:3]) or "no error message"
