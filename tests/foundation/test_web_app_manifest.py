"""The portal as an app on the home screen: a web app manifest, icons, and no offline copy."""

from __future__ import annotations

import json
import struct

from portal.assets import STATIC_ROOT
from portal.help import icons
from portal.help.services import short_name
from tests.conftest import login_as, make_user


def _size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_the_manifest_names_the_clinic_and_opens_at_home(client, clinic):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Test Clinic" and manifest["short_name"] == "Test Clinic"
    assert manifest["start_url"] == "/home" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5394" and manifest["scope"] == "/"
    assert "serviceworker" not in json.dumps(manifest).lower()
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png", icon
        width, height = _size(image.data)
        assert f"{width}x{height}" == icon["sizes"]


def test_a_long_clinic_name_gets_a_short_one():
    assert short_name("Linden Health Centre") == "Linden"
    assert short_name("Gezondheidscentrumnoord Amsterdam") == "Gezondheidsc"
    assert short_name("Przychodnia") == "Przychodnia"


def test_every_page_links_the_manifest_and_the_apple_icon(client, clinic):
    for path in ("/", "/help/questions"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert 'rel="apple-touch-icon"' in page and '<meta name="theme-color"' in page
    login_as(client, make_user())
    assert 'rel="manifest"' in client.get("/home").get_data(as_text=True)


def test_no_service_worker_keeps_health_data_on_the_device(client, clinic):
    for script in STATIC_ROOT.rglob("*.js"):
        assert "serviceWorker" not in script.read_text(errors="ignore"), script
    assert client.get("/sw.js").status_code == 404
    assert client.get("/service-worker.js").status_code == 404


def test_the_icons_are_the_ones_the_drawing_makes():
    for name, (size, cross) in icons.ICONS.items():
        stored = (icons.FOLDER / name).read_bytes()
        assert _size(stored) == (size, size)
        assert stored == icons.draw(size, cross), name


def test_the_help_page_says_how_to_add_it_on_android_and_ios(client, clinic):
    for lang, words in (("en", "Add to Home screen"), ("nl", "Toevoegen aan startscherm"),
                        ("pl", "Dodaj do ekranu głównego")):
        client.set_cookie("lang", lang)
        page = client.get("/help/questions").get_data(as_text=True)
        assert words in page, lang
