"""The portal under real gunicorn with two workers, as a clinic runs it.

Two set-ups, each migrated with `flask db upgrade` and filled with `flask portal demo`;
a run uses the one of the database the suite runs on (CI runs the suite on each):

- SQLite with rate limits counted in the database (the default).
- PostgreSQL (PORTAL_TEST_DATABASE_URL) with rate limits in Redis (PORTAL_TEST_REDIS_URL,
  default redis://127.0.0.1:6379/0): when Redis is missing it is skipped, except under
  PORTAL_REQUIRE_DATABASE=1 (CI), where that fails the run. It works in a schema of its
  own inside that database and drops it afterwards, so the rest of the suite's tables
  (in `public`, see tests/conftest.py) are never touched.

Whatever one worker knows and another needs must live in the database or Redis: a
session opened on one worker is honoured by the other, and sign-in attempts counted by
one worker count for the other.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.demo import DEMO_PASSWORD
from tests.deploy.gunicorn_server import Browser, flask, gunicorn, portal_env

pytestmark = pytest.mark.timeout(300)

PATIENT = ("oliver", "Oliver Bennett")
HOME = "/home"


def _database_required() -> bool:
    return os.environ.get("PORTAL_REQUIRE_DATABASE") == "1"


def _unavailable(reason: str):
    if _database_required():
        pytest.fail(f"{reason} (required: PORTAL_REQUIRE_DATABASE=1)")
    pytest.skip(reason)


def _redis_url() -> str:
    return os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _postgresql_url() -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        _unavailable("PORTAL_TEST_DATABASE_URL is not a PostgreSQL database")
    return url


def _redis_client():
    import redis

    client = redis.Redis.from_url(_redis_url(), socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        _unavailable(f"Redis is not reachable at {_redis_url()}: {error}")
    return client


def _sqlite_setup(instance: Path):
    yield portal_env(f"sqlite:///{instance / 'portal.db'}", instance)


def _postgresql_setup(instance: Path):
    """A schema of our own in the test database, and a Redis key prefix of our own."""
    base_url = make_url(_postgresql_url())
    redis_client = _redis_client()
    name = f"deploy_{secrets.token_hex(4)}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception as error:  # noqa: BLE001 - any reason the database cannot be used
        admin.dispose()
        _unavailable(f"cannot create a schema in {base_url.render_as_string()}: {error}")
    url = base_url.update_query_dict({"options": f"-csearch_path={name}"})
    prefix = f"portal-test-{name}"
    try:
        yield portal_env(url.render_as_string(hide_password=False), instance,
                         PORTAL_RATELIMIT_STORAGE_URI=_redis_url(),
                         PORTAL_RATELIMIT_KEY_PREFIX=prefix)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
        for key in redis_client.scan_iter(match=f"*{prefix}*"):
            redis_client.delete(key)
        redis_client.close()


SETUPS = {"sqlite": _sqlite_setup, "postgresql+redis": _postgresql_setup}


def _setups_of_this_run() -> list[str]:
    """The set-up of the database the suite runs on: the SQLite one ran (the same, step for
    step) in CI's SQLite pass, so the PostgreSQL pass runs only its own."""
    on_postgresql = os.environ.get("PORTAL_TEST_DATABASE_URL", "").startswith("postgresql")
    return ["postgresql+redis"] if on_postgresql else ["sqlite"]


@pytest.fixture(scope="module", params=_setups_of_this_run())
def served(request, tmp_path_factory):
    """A migrated demo portal under gunicorn with two workers, and a patient signed in."""
    instance = tmp_path_factory.mktemp(f"gunicorn-{request.param.replace('+', '-')}")
    setup = SETUPS[request.param](instance)
    env = next(setup)
    try:
        flask(env, "db", "upgrade")
        flask(env, "portal", "demo")
        with gunicorn(env, instance / "gunicorn.log", workers=2) as portal:
            browser = Browser(portal.url)
            signed_in = browser.post_form("/sign-in", {"identifier": PATIENT[0],
                                                       "password": DEMO_PASSWORD})
            assert signed_in.status == 303, signed_in.body[:500]
            assert signed_in.headers["Location"].endswith(HOME)
            yield request.param, portal, browser
    finally:
        setup.close()


def test_healthz_says_ok_and_sets_no_cookie(served):
    _, portal, _ = served
    reply = Browser(portal.url).get("/healthz")
    assert (reply.status, reply.body) == (200, "ok")
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert "Set-Cookie" not in reply.headers


def test_a_session_is_honoured_by_every_worker(served):
    _, portal, browser = served
    seen: set[str] = set()
    for _ in range(10):
        for _ in range(8):
            reply = browser.get(HOME)
            assert reply.status == 200, (reply.status, reply.headers.get("Location"))
            assert PATIENT[1] in reply.body
        seen = portal.workers_that_served("GET", HOME)
        if len(seen) >= 2:
            break
    assert len(seen) == 2, f"only worker(s) {seen} served the signed-in pages"


def test_asvs_6_3_1_seventy_wrong_sign_ins_get_exactly_the_documented_30_answers(served):
    """The documented limit (30 per 10 minutes per address) holds exactly with two workers:
    every worker sees the same count, which only ever goes down by one."""
    _, portal, _ = served
    stranger = Browser(portal.url)
    token = stranger.csrf_token("/sign-in")
    # A new name each time, so that no lockout answers instead of the rate limit.
    replies = [stranger.request("/sign-in", data={"csrf_token": token,
                                                  "identifier": f"nobody-{n}",
                                                  "password": "wrong guess"})
               for n in range(70)]
    statuses = [reply.status for reply in replies]
    answered = statuses.index(429)
    assert set(statuses[:answered]) == {422} and set(statuses[answered:]) == {429}
    assert "Too many attempts" in replies[answered].body
    remaining = [int(reply.headers["X-RateLimit-Remaining"]) for reply in replies[:answered]]
    assert remaining == list(range(remaining[0], remaining[0] - answered, -1))
    # Counted over the whole run: the fixture's sign-in and these guesses, all from 127.0.0.1.
    posts = [line for line in portal.access_lines()
             if line["method"] == "POST" and line["path"] == "/sign-in"]
    assert sum(line["status"] != "429" for line in posts) == 30
    assert len(portal.workers_that_served("POST", "/sign-in", "422")) == 2


def test_the_logs_keep_no_query_string_form_body_or_token(served):
    _, portal, _ = served
    visitor = Browser(portal.url)
    visitor.get("/sign-in?next=/record/results&q=Bennett")
    visitor.get("/reset-password/" + "x" * 40 + ".Zz9.signature-of-the-reset-link")
    visitor.post_form("/sign-in", {"identifier": "grace", "password": "Thompson-typo-1953"})
    log = portal.log.read_text()
    assert '"GET /sign-in HTTP/1.1" 200' in log
    assert '"GET /reset-password/:token HTTP/1.1"' in log
    for secret in ("Bennett", "next=", "xxxxxxxxxx", "signature-of", "grace", "Thompson",
                   DEMO_PASSWORD, PATIENT[0]):
        assert secret not in log, f"{secret!r} is in gunicorn's log"
