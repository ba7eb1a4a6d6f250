"""Forms of activation: the code with date of birth and name, then the new account."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.auth.forms.recovery import EmailAddress
from portal.auth.forms.sign_in import NewPasswordForm
from portal.auth.usernames import MAX_LENGTH, AvailableUsername, email_taken
from portal.forms import PortalForm


class ActivationCodeForm(PortalForm):
    """Step one: the code from the letter or e-mail, the date of birth and the last name."""

    code = StringField(
        _l("Activation code"),
        validators=[DataRequired(_l("Enter the activation code from your letter or e-mail.")),
                    Length(max=40)],
    )
    birth_day = StringField(_l("Day"), validators=[Length(max=2)])
    birth_month = StringField(_l("Month"), validators=[Length(max=2)])
    birth_year = StringField(_l("Year"), validators=[Length(max=4)])
    family_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Enter your last name.")), Length(max=100)],
    )

    #: The date of birth once `validate` has put the three parts together.
    birth_date: date | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        parts = (self.birth_day, self.birth_month, self.birth_year)
        if any(part.errors for part in parts):
            return False
        values = [(part.data or "").strip() for part in parts]
        missing = [part for part, value in zip(parts, values, strict=True) if not value]
        if missing:
            missing[0].errors = [_l("Enter your date of birth: day, month and year.")]
            return False
        if len(values[2]) != 4:
            self.birth_year.errors = [_l("Enter the year with four digits, for example 1985.")]
            return False
        try:
            day, month, year = (int(value) for value in values)
            self.birth_date = date(year, month, day)
        except ValueError:
            self.birth_day.errors = [_l("Enter a real date of birth, for example 27 3 1985.")]
            return False
        return ok


class _Applicant:
    """Stands in for the account being made, so the password check knows its names."""

    def __init__(self, form: ActivationAccountForm, patient):
        self.form, self.patient = form, patient

    @property
    def username(self) -> str:
        return self.form.username.data or ""

    @property
    def email(self) -> str:
        return self.form.email.data or ""

    @property
    def display_name(self) -> str:
        return self.patient.full_name


class ActivationAccountForm(NewPasswordForm):
    """Step two: a username, the e-mail address and a password typed twice."""

    #: The order of the page, which the error summary follows.
    ORDER = ("csrf_token", "username", "email", "password", "confirm")

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Choose a username.")), Length(max=MAX_LENGTH),
                    AvailableUsername()],
    )
    email = StringField(
        _l("E-mail address (optional)"),
        validators=[Optional(), Length(max=254), EmailAddress()],
    )

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = _Applicant(self, patient)
        self._fields = {name: self._fields[name] for name in self.ORDER if name in self._fields}

    def validate_email(self, field):
        if field.data and email_taken(field.data):
            raise ValidationError(_l("Another account already uses this e-mail address. "
                                     "Give another one, or leave this empty."))
