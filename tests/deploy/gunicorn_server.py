"""The portal as a clinic runs it: real gunicorn with the repository's gunicorn.conf.py.

`prepared_portal` migrates a database and loads the demo clinic through the same `flask`
commands a clinic's administrator types, then starts gunicorn on a free loopback port.
`Browser` is a tiny HTTP client that keeps cookies and never follows redirects, so a
test sees exactly what each worker answered; gunicorn's access log names the worker
(its pid) that served each request.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from portal.config import ROOT

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
#: An access-log line: "[time] addr "METHOD /path HTTP/1.1" status size Nms <pid>".
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) '
                         r'\S+ \d+ms <(?P<pid>\d+)>')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def portal_env(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """A production environment for one test portal (plain HTTP on loopback)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": secrets.token_hex(32),
        "PORTAL_SECURE_COOKIES": "0",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_INSTANCE_DIR": str(instance),
        "FLASK_APP": "wsgi",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(settings)
    return env


def flask(env: dict[str, str], *args: str) -> str:
    """Run `flask <args>` as an administrator would; fail loudly with its output."""
    done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class Portal:
    """A running gunicorn: its address and the log it writes (errors and access lines)."""

    url: str
    process: subprocess.Popen
    log: Path

    def access_lines(self) -> list[dict[str, str]]:
        return [match.groupdict() for match in ACCESS_LINE.finditer(self.log.read_text())]

    def workers_that_served(self, method: str, path: str, status: str = "200") -> set[str]:
        return {line["pid"] for line in self.access_lines()
                if line["method"] == method and line["path"] == path
                and line["status"] == status}


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2):
    """gunicorn with the repository's config and `workers` workers; stopped afterwards."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
               "--workers", str(workers), "--bind", f"{HOST}:{port}"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    portal = Portal(f"http://{HOST}:{port}", process, log)
    try:
        _wait_until_serving(portal, workers)
        yield portal
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_serving(portal: Portal, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {portal.process.returncode}:\n"
                                 f"{portal.log.read_text()[-3000:]}")
        booted = portal.log.read_text().count("Booting worker with pid")
        if booted >= workers:
            try:
                if Browser(portal.url).get("/healthz").status == 200:
                    return
            except (URLError, ConnectionError):
                pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not serve within 60 s:\n{portal.log.read_text()[-3000:]}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


class _KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies kept, redirects shown rather than followed, a new connection per request."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self._opener = build_opener(HTTPCookieProcessor(self.cookies), _KeepRedirects())

    def request(self, path: str, data: dict | None = None,
                headers: dict | None = None) -> Reply:
        body = urlencode(data).encode() if data is not None else None
        request = Request(self.base_url + path, data=body, headers=headers or {})
        try:
            with self._opener.open(request, timeout=30) as response:
                return Reply(response.status, dict(response.headers),
                             response.read().decode("utf-8", "replace"))
        except HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers),
                             error.read().decode("utf-8", "replace"))

    def get(self, path: str, **kwargs) -> Reply:
        return self.request(path, **kwargs)

    def csrf_token(self, page: str) -> str:
        """The CSRF token of the form on `page`."""
        reply = self.get(page)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reply.body)
        assert match, f"no CSRF token on {page} ({reply.status})"
        return match.group(1)

    def post_form(self, path: str, data: dict, page: str | None = None) -> Reply:
        """Submit a form like a browser: fetch the page for its CSRF token, then post."""
        return self.request(path, data={"csrf_token": self.csrf_token(page or path), **data})

    def cookie_names(self) -> set[str]:
        return {cookie.name for cookie in self.cookies}
