"""The application factory, settings, headers, error pages and static files."""

import gzip

import pytest

from portal import create_app
from portal.config import ConfigError
from tests.conftest import login_as, make_user


def test_production_without_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_settings_come_from_portal_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s3cret-from-env")
    monkeypatch.setenv("PORTAL_PAGE_SIZE", "7")
    # The one limiter object is shared by every app of the process: counted in memory, this
    # app (on a database that goes away) cannot take the next tests' rate limits with it.
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_DIR": str(tmp_path),
                      "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_every_response_carries_the_security_headers(client, clinic):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    secure = client.get("/", base_url="https://portal.example")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_pages_with_personal_data_are_not_cached(client, clinic):
    user = make_user()
    login_as(client, user)
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(client, clinic):
    user = make_user()
    response = login_as(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("lang,text", [
    ("en", "Page not found"), ("nl", "Pagina niet gevonden"), ("pl", "Nie znaleziono strony"),
])
def test_not_found_page_is_translated_and_gives_the_phone_number(client, clinic, lang, text):
    client.set_cookie("lang", lang)
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert text in page
    assert clinic.phone in page
    assert f'<html lang="{lang}">' in page


def test_method_not_allowed_page(client, clinic):
    response = client.get("/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert clinic.phone in response.get_data(as_text=True)


def test_missing_csrf_token_gives_a_400_page(client, clinic):
    response = client.post("/sign-in", data={"identifier": "x", "password": "y"})
    assert response.status_code == 400
    assert "Something in the request was not right" in response.get_data(as_text=True)


def test_too_large_request_gives_a_413_page(app, client, clinic):
    app.config["MAX_CONTENT_LENGTH"] = 100
    try:
        response = client.post("/sign-in", data={"identifier": "x" * 500, "password": "y"})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_unexpected_error_rolls_back_and_shows_the_500_page(app, clinic, db):
    from datetime import date

    from portal.models import Patient

    fresh = create_app({"ENV_NAME": "testing", "TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "INSTANCE_DIR": app.config["INSTANCE_DIR"]})

    @fresh.get("/__boom")
    def boom():
        db.session.add(Patient(patient_number="HALF", given_name="Half", family_name="Saved",
                               birth_date=date(2000, 1, 1)))
        db.session.flush()
        raise RuntimeError("boom")

    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and clinic.phone in page
    assert db.session.query(Patient).filter_by(patient_number="HALF").count() == 0


def test_static_files_have_hashed_immutable_urls(app, client, clinic):
    page = client.get("/").get_data(as_text=True)
    import re
    css_url = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page).group(1)
    response = client.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    assert b"--brand" in body


def test_pages_work_when_htmx_is_missing(app, client, clinic, monkeypatch):
    manifest = dict(app.extensions["asset_manifest"])
    manifest.pop("vendor/htmx.min.js", None)
    monkeypatch.setitem(app.extensions, "asset_manifest", manifest)
    page = client.get("/")
    assert page.status_code == 200
    assert b"htmx.min" not in page.data
    assert b"/static/js/portal." in page.data


def test_html_is_compressed_for_browsers_that_accept_it(client, clinic):
    response = client.get("/help/signing-in", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") in {"gzip", "br"}
    assert "Accept-Encoding" in response.headers.get("Vary", "")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_template_compiles_before_the_workers_are_forked(app):
    """gunicorn.conf.py's when_ready compiles them all in the master: each worker, also one
    that replaces another, starts with them compiled and kept."""
    from pathlib import Path

    from portal.templating import compile_templates

    files = [path for path in (Path(__file__).resolve().parents[2] / "templates").rglob("*")
             if path.suffix in (".html", ".txt")]
    assert compile_templates(app) == len(files)
    assert len(app.jinja_env.cache) >= len(files)
    assert "compile_templates" in (Path(__file__).resolve().parents[2]
                                   / "gunicorn.conf.py").read_text()


def test_an_imported_template_is_kept_and_still_sees_globals_only_its_importer_has(app):
    """`{% from ... import ... %}` reuses the module Jinja keeps when the importing page
    has no globals of its own (the quick check in templating._Template), and makes one
    that sees them when it has (Jinja's own rule, unchanged)."""
    from jinja2 import DictLoader

    env = app.jinja_env.overlay(loader=DictLoader({
        "macros.html": "{% macro shout() %}{{ word | default('none') }}!{% endmacro %}",
        "page.html": '{% from "macros.html" import shout %}{{ shout() }}'}))
    assert env.template_class.__name__ == "_Template"
    macros = env.get_template("macros.html")
    assert env.get_template("page.html").render() == "none!"
    kept = macros._module
    assert kept is not None
    assert env.get_template("page.html").render() == "none!"
    assert macros._module is kept  # the same module, not a new one for each import
    page_with_global = env.get_template("page.html", globals={"word": "hello"})
    assert page_with_global.render() == "hello!"
    assert macros._module is kept
