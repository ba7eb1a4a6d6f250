"""Public pages anyone can read, and the language switch."""

import json

from flask import current_app, redirect, request
from flask_login import current_user

from portal.auth.services import safe_next
from portal.help import bp, services
from portal.i18n import set_lang_cookie
from portal.rendering import render


@bp.get("/")
def home():
    """What the portal is for, with the ways in."""
    return render("help/home.html")


@bp.get("/help/signing-in")
def sign_in_help():
    """How to sign in for the first time, and what to do when it does not work."""
    return render("help/sign_in_help.html")


@bp.get("/help/using-the-portal")
def using():
    """How to do each task: results, messages, appointments, bills, proxies, age rules."""
    from portal.clinic import current_clinic
    from portal.family.rules import ages

    clinic = current_clinic()
    consent_age, end_age, own_age = ages(clinic)
    return render("help/using.html", preset=clinic.proxy_age_preset or "nl",
                  consent_age=consent_age, end_age=end_age, own_age=own_age)


@bp.get("/help/questions")
def faq():
    """Questions patients often ask, with answers."""
    return render("help/faq.html")


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement."""
    return render("help/accessibility.html")


@bp.get("/privacy")
def privacy():
    """Privacy and safety tips."""
    return render("help/privacy.html")


@bp.get("/manifest.webmanifest")
def web_app_manifest():
    """The web app manifest, so that a phone can put the portal on its home screen."""
    response = current_app.response_class(json.dumps(services.web_app_manifest()),
                                          mimetype="application/manifest+json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600  # the clinic's name may change; an hour is enough
    return response


@bp.get("/language/<code>")
def set_language(code: str):
    """Switch language with a plain link: remember it in a cookie and on the account."""
    if code not in current_app.config["LANGUAGES"]:
        return redirect(safe_next(request.args.get("next")) or "/", 303)
    services.remember_language(
        current_user._get_current_object() if current_user.is_authenticated else None, code)
    return set_lang_cookie(redirect(safe_next(request.args.get("next")) or "/", 303), code)
