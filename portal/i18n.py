"""Language choice and locale-aware formatting of dates, times, numbers and money."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.numbers import NumberPattern, format_currency, parse_pattern
from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from portal.clinic import current_clinic
from portal.types import utcnow

LANG_COOKIE = "lang"
#: Cookie names over HTTPS: the browser keeps a `__Host-` cookie only when it is Secure,
#: for Path=/ and without a Domain, so no other site or subdomain can set or widen it.
HOST_PREFIX = "__Host-"
LANG_COOKIE_SECONDS = 365 * 24 * 3600


def N_(text: str) -> str:
    """Mark `text` for the catalogs without translating it (Babel's extractor knows `N_`):
    for labels kept in tables and translated when shown, with the page's catalog."""
    return text


def lang_cookie_name() -> str:
    """The language cookie's name: `__Host-lang` when cookies are Secure (production)."""
    return f"{HOST_PREFIX}{LANG_COOKIE}" if current_app.config["SESSION_COOKIE_SECURE"] \
        else LANG_COOKIE


def set_lang_cookie(response, code: str):
    """Remember the language `code` in this browser (a year); returns `response`."""
    response.set_cookie(lang_cookie_name(), code, max_age=LANG_COOKIE_SECONDS, path="/",
                        samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def supported() -> dict[str, str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    """The account's choice, else the `lang` cookie, else Accept-Language, else the clinic's."""
    if current_user and current_user.is_authenticated and current_user.locale in supported():
        return current_user.locale
    cookie = request.cookies.get(lang_cookie_name())
    if cookie in supported():
        return cookie
    best = request.accept_languages.best_match(list(supported()))
    if best:
        return best
    try:
        return current_clinic().default_locale
    except Exception:  # noqa: BLE001 - the database may not exist yet on an error page
        return "en"


def select_timezone() -> str:
    return current_clinic().timezone


def _tz() -> ZoneInfo:
    return ZoneInfo(current_clinic().timezone)


def locale_str() -> str:
    """The reader's language code: en, nl or pl."""
    locale = get_locale()
    return _code_of(locale) if locale is not None else "en"


#: A locale's code, written once per locale: Babel builds the text anew on each `str()`,
#: and a page asks for it a dozen times (its dates, its numbers, its language links).
_code_of = lru_cache(maxsize=16)(str)


def format_locale() -> str:
    """The locale used for dates and numbers: English uses the clinic's regional style."""
    code = locale_str()
    return current_app.config["ENGLISH_FORMAT_LOCALE"] if code == "en" else code


def fmt_date(value: date | datetime | None, format: str = "long") -> str:
    """A date in the reader's language, e.g. 3 March 2026 / 3 maart 2026 / 3 marca 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_tz()).date()
    return format_date(value, format=format, locale=_locale(format_locale()))


def fmt_datetime(value: datetime | None, format: str = "medium") -> str:
    """A moment in the clinic's time zone and the reader's language."""
    if value is None:
        return ""
    return format_datetime(value, format=format, tzinfo=_tz(), locale=_locale(format_locale()))


def fmt_time(value: datetime | None, format: str = "short") -> str:
    if value is None:
        return ""
    return format_time(value, format=format, tzinfo=_tz(), locale=_locale(format_locale()))


def fmt_number(value, decimals: int | None = None, *, notation: str | None = None) -> str:
    """A number in the reader's notation, rounded to `decimals` places when given.

    `notation` is `format_locale()`, for callers that write many numbers and looked it up
    once for all of them.
    """
    if value is None:
        return ""
    code = notation or format_locale()
    # Keyed by the value's type and text, not the value: 0 and -0, or 5 and 5.0, are equal
    # numbers Babel may write differently.
    key = (code, decimals, type(value), str(value))
    shown = _formatted.get(key)
    if shown is None:
        locale, pattern = _decimal_pattern(code, decimals)
        shown = pattern.apply(value, locale)
        if len(_formatted) >= _FORMATTED_MAX:
            _formatted.clear()
        _formatted[key] = shown
    return shown


#: Numbers already written, per notation: a results page shows dozens, mostly the same few
#: values again (a test's usual range on every row), and Babel writes one in some 20 µs.
_formatted: dict[tuple, str] = {}
_FORMATTED_MAX = 4096


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    """Babel's locale for `code`, parsed once: given a code, Babel parses it again for every
    date, time or amount it writes (half the cost of writing a date)."""
    return Locale.parse(code)


@lru_cache(maxsize=64)
def _decimal_pattern(code: str, decimals: int | None) -> tuple[Locale, NumberPattern]:
    """The locale and number pattern `format_decimal` would find anew for every number
    (a results page shows dozens)."""
    locale = Locale.parse(code)
    if decimals is None:
        return locale, locale.decimal_formats[None]
    return locale, parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


def fmt_money(value, currency: str | None = None) -> str:
    """An exact amount of money in the clinic's currency, in the reader's notation."""
    if value is None:
        return ""
    return format_currency(value, currency or current_clinic().currency,
                           locale=_locale(format_locale()))


def in_language(values: dict | None, fallback: str = "") -> str:
    """A text the clinic wrote in several languages ({"en": ..., "nl": ...}), in the
    reader's language, else English, else whichever there is."""
    values = values or {}
    return values.get(locale_str()) or values.get("en") or next(iter(values.values()), fallback)


def fmt_age(since: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words: "3 days", "2 hours" (in the reader's language)."""
    if since is None:
        return ""
    return format_timedelta((now or utcnow()) - since, threshold=1, locale=locale_str())


def translations():
    """The reader's catalog, looked up once per request and language.

    A page calls `_()` a hundred times; Flask-Babel finds the catalog anew for each call.
    Kept with the locale it belongs to, so that `force_locale` (mails in the patient's
    language) and a language change within the request get their own catalog.
    """
    if not g:  # no application context: Flask-Babel's own answer (no translations)
        return get_translations()
    locale = get_locale()
    kept = g.get("_portal_translations")
    if kept is None or kept[0] is not locale:
        kept = g._portal_translations = (locale, get_translations())
    return kept[1]


def translate(text: str, **values) -> str:
    """Flask-Babel's `gettext` with the reader's catalog found once a request
    (`translations`), for code that translates many texts a page (menu labels, the usual
    ranges of a results table)."""
    found = translations().ugettext(text)
    return found % values if values else found


def init_app(app: Flask) -> None:
    """Register the formatting helpers as Jinja filters, and templates' `_()` and plurals."""
    app.jinja_env.filters.update(
        date=fmt_date, datetime=fmt_datetime, time=fmt_time, number=fmt_number,
        money=fmt_money, in_language=in_language, age=fmt_age,
    )
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda one, many, n: translations().ungettext(one, many, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: translations().unpgettext(context, one, many,
                                                                           n),
        newstyle=True)
    app.context_processor(_catalog_for_this_page)


def _catalog_for_this_page() -> dict:
    """`_()` and `ngettext()` bound to the reader's catalog for one page.

    The functions installed above find the catalog on every call (through the request's
    context, a hundred times a page). A page's template gets these instead, looked up
    once when it is rendered; a template rendered outside a request, or imported without
    context, still has the installed ones.
    """
    catalog = translations()
    return {"gettext": _template_gettext(catalog.ugettext),
            "ngettext": _template_ngettext(catalog.ungettext)}


def _template_gettext(lookup):
    """A template's `_("text", name=...)`: translated, safe (the text is the project's
    own), then filled in with escaped values, as Jinja's new-style gettext does."""

    kept = _written_for(lookup)

    @pass_context
    def gettext(context, text, **values):
        autoescape = context.eval_ctx.autoescape
        if not values:
            # A text without values reads the same on every page: written once per catalog.
            written = kept.get((text, autoescape))
            if written is None:
                if len(kept) >= _WRITTEN_MAX:  # a text from data, not a template's own
                    kept.clear()
                found = Markup(lookup(text)) if autoescape else lookup(text)
                written = kept[(text, autoescape)] = found % {}  # "200%%" reads "200%"
            return written
        found = Markup(lookup(text)) if autoescape else lookup(text)
        return found % values  # always: "200%%" reads "200%", as with Jinja's own

    return gettext


_WRITTEN_MAX = 4096


def _written_for(lookup) -> dict:
    """The texts without values already written from the catalog `lookup` belongs to.

    Kept on the catalog (Flask-Babel keeps one per language for the app's life), so a
    reloaded or forced catalog starts empty.
    """
    catalog = lookup.__self__
    kept = getattr(catalog, "_portal_written", None)
    if kept is None:
        kept = catalog._portal_written = {}
    return kept


def _template_ngettext(lookup):
    """A template's `ngettext(one, many, n, name=...)`; `num` is `n` unless given."""

    @pass_context
    def ngettext(context, one, many, n, **values):
        found = lookup(one, many, n)
        if context.eval_ctx.autoescape:
            found = Markup(found)
        values.setdefault("num", n)
        return found % values

    return ngettext
