"""What a page costs to download: its HTML, and the CSS and JavaScript it references.

A first visit downloads the page and every file it references; a repeat visit downloads
the page again and only those files a browser may not keep (static files are kept when
served with `Cache-Control: immutable`). Sizes are gzipped bytes as sent by the server.
"""

from __future__ import annotations

import gzip
import http.client
import re
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

#: <link rel> values that make a browser download the file on a first visit.
_FETCHED_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload",
                 "modulepreload", "manifest"}
#: A year: what "keep it for good" means for a static file.
LONG_MAX_AGE = 365 * 24 * 3600


def gzip_size(data: bytes, level: int = 6) -> int:
    """How many bytes `data` takes gzipped at `level` (what a server's gzip would send)."""
    return len(gzip.compress(data, compresslevel=level, mtime=0))


class _AssetParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        url = None
        if tag == "link":
            rels = set((attributes.get("rel") or "").lower().split())
            if rels & _FETCHED_RELS:
                url = attributes.get("href")
        elif tag in ("script", "img"):
            url = attributes.get("src")
        if url and not url.startswith("data:") and url not in self.urls:
            self.urls.append(url)


def page_assets(html: str) -> list[str]:
    """The files a browser fetches for `html`: stylesheets, icons, preloads, scripts, images.

    Same-site URLs only, each once, in document order; `data:` URLs are part of the page.
    """
    parser = _AssetParser()
    parser.feed(html)
    parser.close()
    return [url for url in parser.urls if not urlsplit(url).netloc]


def cache_lifetime(cache_control: str | None) -> tuple[int, bool]:
    """(max-age in seconds, immutable?) from a Cache-Control header; (0, False) for none."""
    value = (cache_control or "").lower()
    match = re.search(r"max-age=(\d+)", value)
    return (int(match.group(1)) if match else 0), "immutable" in value


def kept_by_browser(cache_control: str | None) -> bool:
    """Whether a browser reuses the file on a repeat visit without asking the server."""
    max_age, immutable = cache_lifetime(cache_control)
    return immutable and max_age >= LONG_MAX_AGE


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: bytes

    def text(self) -> str:
        """The body decoded (gzip or identity), as text."""
        body = self.body
        if self.headers.get("content-encoding") == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        return body.decode("utf-8", "replace")


def fetch(host: str, port: int, path: str, headers: dict | None = None, method: str = "GET",
          body: bytes | None = None) -> Fetched:
    """One HTTP request on a new connection."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Fetched(response.status, {k.lower(): v for k, v in response.getheaders()},
                       response.msg.get_all("Set-Cookie") or [], data)
    finally:
        conn.close()


class Browser:
    """Just enough of a browser to sign in: a cookie jar and form posts."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, path: str, method: str = "GET", form: dict | None = None) -> Fetched:
        headers = {"Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = fetch(self.host, self.port, path, headers, method, body)
        for line in response.set_cookies:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def sign_in(self, username: str, password: str) -> str:
        """Sign in through the sign-in form; returns where the portal sent us."""
        page = self.request("/sign-in")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text())
        if page.status != 200 or not token:
            raise SystemExit(f"no sign-in form at /sign-in ({page.status})")
        answer = self.request("/sign-in", "POST", {"identifier": username, "password": password,
                                                   "csrf_token": token.group(1)})
        if answer.status != 303:
            raise SystemExit(f"signing in as {username} failed: {answer.status}")
        return answer.headers["location"]


def wire_bytes(response: Fetched) -> int:
    """Bytes of the body as sent: gzipped when the server compressed it, else as they are."""
    return len(response.body)


def measure_page(host: str, port: int, path: str, cookie: str | None,
                 assets: dict[str, dict]) -> dict:
    """Sizes of the page at `path` and its files; `assets` caches files across pages."""
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    page = fetch(host, port, path, headers)
    html = page.text()
    brotli = fetch(host, port, path, {**headers, "Accept-Encoding": "br"})
    files = page_assets(html)
    for url in files:
        if url not in assets:
            asset = fetch(host, port, url, {"Accept-Encoding": "gzip"})
            assets[url] = {"status": asset.status, "gzip_bytes": wire_bytes(asset),
                           "content_encoding": asset.headers.get("content-encoding"),
                           "cache_control": asset.headers.get("cache-control"),
                           "kept": kept_by_browser(asset.headers.get("cache-control"))}
    html_gz = wire_bytes(page)
    assets_gz = sum(assets[url]["gzip_bytes"] for url in files)
    refetched = sum(assets[url]["gzip_bytes"] for url in files if not assets[url]["kept"])
    return {
        "path": path, "status": page.status,
        "html_bytes": len(html.encode()), "html_gzip_bytes": html_gz,
        "html_content_encoding": page.headers.get("content-encoding"),
        "html_gzip6_local_bytes": gzip_size(html.encode()),
        "html_brotli_bytes": len(brotli.body)
        if brotli.headers.get("content-encoding") == "br" else None,
        "page_cache_control": page.headers.get("cache-control"),
        "assets": files,
        "first_visit_gzip_bytes": html_gz + assets_gz,
        "repeat_visit_gzip_bytes": html_gz + refetched,
    }
