"""Queries per page, counted in-process with a SQLAlchemy event listener.

The same way tests/quality/test_query_growth.py counts them: the app runs in this
process against the benchmark's database, a test client signs in through the real form,
and every statement sent to the database during one GET is counted. Each page is fetched
once before it is counted, so a first visit's one-off writes are left out.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counting(engine):
    """Count the statements run inside the block: `with counting(engine) as n: ...; n()`."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def sign_in_client(client, username: str, password: str) -> None:
    """Sign in through the real form (patients here: no second step)."""
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    answer = client.post("/sign-in", data={"identifier": username, "password": password,
                                           "csrf_token": token.group(1) if token else ""})
    if answer.status_code != 303 or answer.headers["Location"].startswith("/sign-in"):
        raise SystemExit(f"in-process sign-in as {username} failed: {answer.status}")


def queries_per_page(app, engine, username: str | None, password: str,
                     pages: dict[str, str]) -> dict[str, dict]:
    """page name -> {"path", "status", "queries"} for `username` (None: not signed in)."""
    client = app.test_client()
    if username:
        sign_in_client(client, username, password)
    counts = {}
    for name, path in pages.items():
        client.get(path)
        with counting(engine) as n:
            response = client.get(path)
        counts[name] = {"path": path, "status": response.status_code, "queries": n()}
    return counts
