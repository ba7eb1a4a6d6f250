"""What every template can use: the clinic, the languages, the menu, the CSRF header."""

from __future__ import annotations

import json
from collections import ChainMap
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from jinja2.utils import LRUCache
from markupsafe import Markup

from portal.clinic import current_clinic
from portal.i18n import N_, format_locale, locale_str, translate

#: (endpoint, label, feature that must be on or None[, staff roles that see it]); labels are
#: marked for the catalogs and translated when the menu is built (see `menu`).
PATIENT_MENU = (
    ("records.dashboard", N_("Home"), None),
    ("records.overview", N_("My record"), "records"),
    ("records.results", N_("Results"), "records"),
    ("messages.inbox", N_("Messages"), "messages"),
    ("appointments.index", N_("Appointments"), "appointments"),
    ("questionnaires.forms_list", N_("Forms"), "appointments"),
    ("billing.overview", N_("Bills"), "billing"),
    ("family.index", N_("Family"), "family"),
    ("account.profile", N_("My details"), None),
)
STAFF_MENU = (
    ("staff.patients", N_("Patients"), None),
    ("records.results_to_release", N_("Results to release"), "records", ("clinician", "admin")),
    ("terminology.terms", N_("Names patients read"), "records", ("clinician", "admin")),
    ("corrections.staff_list", N_("Correction requests"), "records", ("clinician", "admin")),
    ("messages.staff_inbox", N_("Messages"), "messages", ("admin", "clinician", "front_desk",
                                                           "billing")),
    ("messages.staff_prescriptions", N_("Repeat prescriptions"), "messages",
     ("clinician", "admin")),
    ("messages.teams_list", N_("Teams"), "messages", ("admin",)),
    ("appointments.staff_day", N_("Appointments"), "appointments",
     ("admin", "clinician", "front_desk")),
    ("questionnaires.staff_forms", N_("Forms"), "appointments", ("clinician", "admin")),
    ("billing.staff_balances", N_("Billing"), "billing", ("billing", "admin")),
    ("family.staff_requests", N_("Proxy access"), "family", ("front_desk", "admin")),
    ("staff.accounts", N_("Staff accounts"), None, ("admin",)),
    ("staff.outgoing_mail", N_("Outgoing mail"), None, ("admin",)),
    ("staff.audit_search", N_("Audit trail"), None, ("admin",)),
    ("account.profile", N_("My details"), None),
)
PUBLIC_MENU = (
    ("help.home", N_("Home"), None),
    ("help.sign_in_help", N_("Help signing in"), None),
    ("help.faq", N_("Questions"), None),
)


def plain_url(endpoint: str, **values: str) -> str:
    """`url_for(endpoint, **values)` for an address that is the same on every page (no query,
    nothing of the reader's), built once per app.

    The menu, the header, the footer and the language links point to the same dozen pages
    on every page; each `url_for` costs a trip through the URL map. The address depends
    only on the endpoint, its values and the script root the app is served under.
    """
    cache = current_app.extensions.setdefault("portal.plain_urls", {})
    key = (endpoint, request.script_root, *sorted(values.items()))
    url = cache.get(key)
    if url is None:
        url = cache[key] = url_for(endpoint, **values)
    return url


def menu() -> list[dict]:
    """The main menu for the current user, with the current page marked."""
    if current_user.is_authenticated:
        items = STAFF_MENU if current_user.is_staff else PATIENT_MENU
    else:
        items = PUBLIC_MENU
    clinic = current_clinic()
    role = current_user.role if current_user.is_authenticated else None
    allowed = _acting_permissions() if items is PATIENT_MENU else None
    whose = _acting_for_name() if items is PATIENT_MENU else None
    return [
        {"url": plain_url(endpoint),
         # A label is the project's own text (markup); a name is not, so it is escaped.
         "label": gettext("%(name)s's record", name=whose)
         if whose and endpoint == "records.overview" else Markup(translate(label)),
         "current": request.endpoint == endpoint,
         "badge": endpoint in MENU_BADGES}
        for endpoint, label, feature, *roles in items
        if (feature is None or clinic.feature_on(feature)) and (not roles or role in roles[0])
        and (allowed is None or feature not in AREA_PERMISSIONS
             or AREA_PERMISSIONS[feature] in allowed)
    ]


#: The permission a patient-side area needs: someone acting for a patient sees only the
#: areas their grant allows (the pages themselves ask the gate again).
AREA_PERMISSIONS = {"records": "records", "messages": "messages",
                    "appointments": "appointments", "billing": "billing"}


def _acting_for_name() -> str | None:
    """The given name of the patient a proxy acts for now; None on one's own record."""
    from portal.access import acting_patient_id, acts_for

    user = current_user._get_current_object()
    acting = acting_patient_id(user)
    if acting is None or acting == user.patient_id:
        return None
    return next((link.given_name for link in acts_for(user) if link.patient_id == acting), None)


def _acting_permissions():
    """What the signed-in patient user may do for the patient the session acts for."""
    from portal.access import acting_patient_id, permissions_for

    user = current_user._get_current_object()
    return permissions_for(user, acting_patient_id(user))


#: Menu entries that show the unread count next to their label (the layout counts only when
#: the menu has such an entry, so a page without it pays nothing).
MENU_BADGES = frozenset({"messages.inbox", "messages.staff_inbox"})


def language_links() -> list[dict]:
    """One plain link per language, returning to this page."""
    here = request.full_path.rstrip("?") if request.endpoint else "/"
    back = "?" + urlencode({"next": here}, safe="/:;?@!$'()*,")
    current = locale_str()
    return [{"code": code, "name": name, "current": code == current,
             "url": plain_url("help.set_language", code=code) + back}
            for code, name in current_app.config["LANGUAGES"].items()]


def hx_headers() -> str:
    """The JSON that `<body hx-headers>` sends with every htmx request (CSRF token)."""
    return json.dumps({"X-CSRFToken": generate_csrf()})


def compile_templates(app: Flask) -> int:
    """Compile every template now, and keep them all (returns how many).

    gunicorn loads the app once and forks its workers from it: templates compiled here are
    every worker's from its first request, also after a worker is replaced, instead of
    each new worker compiling them on its first pages (some 60 ms on the home page).
    """
    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(
        (".html", ".txt")))
    if app.jinja_env.cache is not None and getattr(app.jinja_env.cache, "capacity", 0) < \
            len(names):
        app.jinja_env.cache = LRUCache(len(names) + 50)
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


class _Template(Template):
    """Jinja's compiled template, with a quicker check when another template imports it.

    On each `{% from ... import ... %}` Jinja looks for globals of the importing page that
    the imported template lacks (`ctx.globals_keys - self.globals.keys()`); its globals
    are a ChainMap, whose keys answer `in` through a generator per key, some 30 to 100 µs
    an import. The same difference, taken on the chain's own dicts, costs a few µs; only
    when it is not empty does Jinja's own (slower) path run.
    """

    def _get_default_module(self, ctx=None):
        if ctx is not None and isinstance(self.globals, ChainMap) and \
                not ctx.globals_keys.difference(*self.globals.maps):
            ctx = None  # nothing new to pass on: the module Jinja keeps serves
        return super()._get_default_module(ctx)


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = _Template
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from portal.access import acts_for_another

    app.jinja_env.globals["acts_for_another"] = acts_for_another

    @app.context_processor
    def inject():
        # The user object itself: a template reads it dozens of times, and each read of
        # the `current_user` proxy costs a lookup through the request context.
        return {"current_user": current_user._get_current_object(),
                "clinic": current_clinic(), "menu": menu, "language_links": language_links,
                "plain_url": plain_url,
                "hx_headers": hx_headers, "lang": locale_str, "role_name": role_name,
                "action_name": action_name, "outcome_name": outcome_name,
                "clinic_opening_hours": clinic_opening_hours, "clinic_fragment": clinic_fragment}


ROLE_NAMES = {
    "patient": _l("Patient"),
    "admin": _l("Administrator"),
    "clinician": _l("Clinician"),
    "front_desk": _l("Front desk"),
    "billing": _l("Billing"),
}
ACTION_NAMES = {
    "sign-in": _l("Signed in"),
    "sign-out": _l("Signed out"),
}
OUTCOME_NAMES = {
    "success": _l("Succeeded"),
    "failure": _l("Failed"),
    "denied": _l("Refused"),
    "locked": _l("Refused: account locked"),
    "replayed": _l("Refused: code used twice"),
    "unknown": _l("Unknown account"),
}


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def action_name(action: str) -> str:
    return str(ACTION_NAMES.get(action, action))


def outcome_name(outcome: str) -> str:
    return str(OUTCOME_NAMES.get(outcome, outcome))


def clinic_fragment(name: str) -> Markup:
    """The template `name`, a part of a page that shows only the clinic's settings in the
    reader's language (its opening hours), written once per worker, language and change of
    the settings.

    Nothing in such a part belongs to whoever reads it, so everyone reading that language
    gets the same HTML; a change of the settings gives them a new stamp, and so a new key.
    """
    clinic = current_clinic()
    key = (name, clinic.id, clinic.stamp, locale_str())
    kept = current_app.extensions.setdefault("portal.clinic_fragments", {})
    html = kept.get(key)
    if html is None:
        if len(kept) >= 64:  # old stamps' parts
            kept.clear()
        html = kept[key] = Markup(current_app.jinja_env.get_template(name).render(
            clinic=clinic, clinic_opening_hours=clinic_opening_hours))
    return html


def clinic_opening_hours() -> list[tuple[str, list[str]]]:
    """The clinic's week as (day name in the reader's language, ["08:00–17:00", ...])."""
    from babel.dates import get_day_names

    hours = current_clinic().opening_hours or {}
    if not hours:
        return []
    names = get_day_names("wide", locale=format_locale())
    return [(names[day].capitalize(), [f"{start}–{end}" for start, end in hours.get(str(day), [])])
            for day in range(7)]
