"""Rules for the public pages."""

from portal.extensions import db
from portal.models import User


def remember_language(user: User | None, code: str) -> None:
    """Store the chosen language on `user`'s account (None: nobody signed in), so e-mails
    use it too."""
    if user is not None and user.locale != code:
        user.locale = code
        db.session.commit()


#: The manifest's colours: the portal's blue (--brand in portal.css) and its paper.
THEME_COLOUR, BACKGROUND_COLOUR = "#0b5394", "#ffffff"
#: Launchers show a short name under the icon; longer ones are cut off.
SHORT_NAME_LENGTH = 12


def short_name(name: str) -> str:
    """The clinic's name as a home screen shows it: whole when short, else its first word."""
    if len(name) <= SHORT_NAME_LENGTH:
        return name
    first = name.split()[0]
    return first if len(first) <= SHORT_NAME_LENGTH else name[:SHORT_NAME_LENGTH].rstrip()


def web_app_manifest() -> dict:
    """The web app manifest: the clinic's name, icons and colours, opening at /home.

    It names no service worker: the portal keeps no copy of health data on the device, so
    an installed portal needs the network as the browser does.
    """
    from portal.assets import asset_url
    from portal.clinic import current_clinic

    clinic = current_clinic()
    name = clinic.name or "Patient portal"
    icons = [("icons/icon-192.png", "192x192", "any"), ("icons/icon-512.png", "512x512", "any"),
             ("icons/icon-maskable-512.png", "512x512", "maskable")]
    return {
        "id": "/home", "name": name, "short_name": short_name(name),
        "start_url": "/home", "scope": "/", "display": "standalone",
        "lang": clinic.default_locale or "en",
        "theme_color": THEME_COLOUR, "background_color": BACKGROUND_COLOUR,
        "icons": [{"src": asset_url(src), "sizes": sizes, "type": "image/png", "purpose": purpose}
                  for src, sizes, purpose in icons],
    }
