"""When the database cannot store anything (disk full, read-only): 503, nothing half-saved.

A write that fails because the disk is full or the database is read-only is not a bug
in the portal and says nothing about the request: the reader gets a page in their
language saying that nothing was saved and to try again later, with status 503 so that
proxies and monitoring see an outage rather than an error. What they typed is kept, as
at a session timeout (`portal.forms.stash_form_data`), and put back in the form when
they open the page again.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError

#: SQLite result codes (the low byte of the extended code): READONLY, IOERR, FULL, CANTOPEN.
SQLITE_CODES = {8, 10, 13, 14}
#: PostgreSQL SQLSTATEs: read-only transaction, insufficient resources, disk full, out of
#: memory, too many connections, I/O error, and the server shutting down or in recovery.
POSTGRES_STATES = {"25006", "53000", "53100", "53200", "53300", "58030", "57P01", "57P03"}
#: Errors of files (the instance folder, the outbox folder): no space, read-only, quota.
FILE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}
#: Words in the driver's message when it gives no code (older SQLite bindings).
MESSAGES = ("readonly database", "read-only", "disk is full", "no space left")


def is_storage_failure(error: BaseException) -> bool:
    """Whether `error` means that nothing can be stored right now."""
    if isinstance(error, DBAPIError):
        cause = error.orig
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in SQLITE_CODES:
            return True
        if getattr(cause, "sqlstate", None) in POSTGRES_STATES:
            return True
        return any(word in str(cause).lower() for word in MESSAGES)
    return isinstance(error, OSError) and error.errno in FILE_ERRNOS
