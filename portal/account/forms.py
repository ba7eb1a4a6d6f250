"""Forms of the account pages: contact details, language, notifications, password."""

from __future__ import annotations

import re

from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from portal.auth.forms.recovery import EmailAddress
from portal.auth.forms.sign_in import NewPasswordFields
from portal.forms import PortalForm
from portal.i18n import format_locale

#: The countries offered first; a stored country outside this list is offered too.
COUNTRIES = ("NL", "BE", "DE", "FR", "GB", "PL")
PHONE = re.compile(r"^[0-9 +()\-]{6,20}$")
POSTAL_CODE = re.compile(r"^[A-Za-z0-9 \-]{3,10}$")


def _tidy(value: str | None) -> str | None:
    """Strip the ends and squeeze inner runs of spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _at_most(length: int):
    return lazy_ngettext("Use at most %(num)d character.", "Use at most %(num)d characters.",
                         length)


class PhoneNumber:
    """A phone number: 6 to 20 characters of digits, spaces, +, -, ( and ), with digits."""

    def __call__(self, form, field):
        value = field.data or ""
        if not PHONE.match(value) or not any(ch.isdigit() for ch in value):
            raise ValidationError(_l("Enter a phone number of 6 to 20 characters, using only "
                                     "digits, spaces and + - ( )."))


def country_choices(current: str | None) -> list[tuple[str, str]]:
    """("", "Not given") and the offered countries, named in the reader's language."""
    names = Locale.parse(format_locale()).territories
    codes = set(COUNTRIES) | ({current} if current else set())
    offered = sorted(((code, names.get(code, code)) for code in codes), key=lambda c: c[1])
    return [("", str(_l("Not given"))), *offered]


class ContactForm(PortalForm):
    """A patient's phone number and postal address."""

    phone = StringField(_l("Phone number"), filters=[_tidy],
                        validators=[Optional(), PhoneNumber()])
    address_line = StringField(_l("Street and house number"), filters=[_tidy],
                               validators=[Optional(), Length(max=200, message=_at_most(200))])
    postal_code = StringField(_l("Postal code"), filters=[_tidy],
                              validators=[Optional(), Length(max=10, message=_at_most(10))])
    city = StringField(_l("Town or city"), filters=[_tidy],
                       validators=[Optional(), Length(max=100, message=_at_most(100))])
    country = SelectField(_l("Country"), validators=[Optional()])

    def __init__(self, *args, country: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(country)

    def validate_postal_code(self, field):
        if field.data and not POSTAL_CODE.match(field.data):
            raise ValidationError(_l("Enter a postal code of 3 to 10 letters, digits and "
                                     "spaces."))


class LanguageForm(PortalForm):
    """The language of the portal's pages and e-mails."""

    locale = RadioField(_l("Language"),
                        validators=[InputRequired(_l("Choose a language."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = list(current_app.config["LANGUAGES"].items())


def _how_to_hear(label):
    """One kind of notification: an e-mail each time, one summary a day, or none."""
    return RadioField(label, choices=[("mail", _l("An e-mail each time")),
                                      ("daily", _l("One summary e-mail a day")),
                                      ("none", _l("No e-mail"))],
                      validators=[InputRequired(_l("Choose how to hear about this."))])


class NotificationsForm(PortalForm):
    """How to hear, per kind, that something new is waiting in the portal."""

    messages = _how_to_hear(_l("New messages from the clinic"))
    appointments = _how_to_hear(_l("Appointments that are booked, moved or cancelled"))
    results = _how_to_hear(_l("New test results"))
    corrections = _how_to_hear(_l("Answers to requests to correct the record"))
    billing = _how_to_hear(_l("New bills"))
    family = _how_to_hear(_l("Answers to requests to act for someone"))


class CurrentPasswordForm(PortalForm):
    """Confirm a change by typing the current password."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
    )


class ChangePasswordForm(CurrentPasswordForm, NewPasswordFields):
    """The current password, then the new one twice (the shared new-password rules)."""


class ChangeEmailForm(PortalForm):
    email = StringField(
        _l("New e-mail address"),
        validators=[DataRequired(_l("Enter your new e-mail address.")), Length(max=254),
                    EmailAddress()],
    )
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
    )
