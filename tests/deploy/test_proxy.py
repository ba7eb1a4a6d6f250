"""Behind nginx (PORTAL_PROXY_COUNT=1) each client is known by its own address."""

from __future__ import annotations

from sqlalchemy import select

from portal import create_app
from portal.auth.models import UserSession
from tests.conftest import PASSWORD, csrf_token, make_user


def _portal(app, tmp_path, proxies: int):
    return create_app({"ENV_NAME": "testing", "TESTING": True,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "INSTANCE_DIR": str(tmp_path), "PROXY_COUNT": proxies,
                       "SIGN_IN_RATE_LIMIT": "2 per minute"})


def _guess(client, address: str) -> int:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", headers=_forwarded(address), data={
        "csrf_token": token, "identifier": "nobody", "password": "wrong"}).status_code


def _forwarded(address: str) -> dict:
    """What nginx adds; a browser on HTTPS sends its Referer, which CSRF checks there."""
    return {"X-Forwarded-For": address, "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/sign-in"}


def test_sign_in_limits_count_each_client_behind_the_proxy_apart(app, tmp_path, clinic):
    portal = _portal(app, tmp_path, proxies=1)
    first, second = portal.test_client(), portal.test_client()
    assert [_guess(first, "203.0.113.7") for _ in range(3)] == [422, 422, 429]
    assert _guess(second, "198.51.100.23") == 422


def test_without_a_proxy_forwarded_addresses_are_not_believed(app, tmp_path, clinic):
    portal = _portal(app, tmp_path, proxies=0)
    client = portal.test_client()
    statuses = [_guess(client, f"203.0.113.{n}") for n in range(3)]
    assert statuses == [422, 422, 429]


def test_a_session_records_the_client_address_and_https(app, tmp_path, clinic, db):
    user = make_user()
    portal = _portal(app, tmp_path, proxies=1)
    client = portal.test_client()
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", headers=_forwarded("203.0.113.50"), data={
        "csrf_token": token, "identifier": user.username, "password": PASSWORD})
    assert response.status_code == 303
    assert "Strict-Transport-Security" in response.headers
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert record.remote_addr == "203.0.113.50"
