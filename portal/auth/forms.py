"""Forms of getting in."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.auth.passwords import MAX_LENGTH, StrongPassword
from portal.forms import PortalForm


class SignInForm(PortalForm):
    identifier = StringField(
        _l("Username, e-mail address or patient ID"),
        validators=[DataRequired(_l("Enter your username, e-mail address or patient ID.")),
                    Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
    )


class ConfirmPasswordForm(PortalForm):
    """The password again, before a change to how the account is protected."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
    )


class CodeForm(PortalForm):
    code = StringField(
        _l("Six-digit code"),
        validators=[DataRequired(_l("Enter the six-digit code.")), Length(max=20)],
    )


class RecoveryCodeForm(PortalForm):
    code = StringField(
        _l("Recovery code"),
        validators=[DataRequired(_l("Enter one of your recovery codes.")), Length(max=40)],
    )


def _personal_words(form) -> list[str]:
    """Words a person's password should not be built from."""
    from flask_login import current_user

    user = getattr(form, "user", None) or (current_user if current_user.is_authenticated
                                           else None)
    if user is None:
        return []
    words = [user.username, user.email or "", user.display_name]
    if user.patient is not None:
        words += [user.patient.given_name, user.patient.family_name,
                  user.patient.birth_date.isoformat(), user.patient.patient_number]
    return words


class NewPasswordFields:
    """A new password typed twice: at least 8 characters, not easy to guess.

    A mixin, so every form that sets a password (temporary-password change, reset,
    activation, account settings) shares one set of rules and messages.
    """

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_LENGTH),
                    StrongPassword(_personal_words)],
    )
    confirm = PasswordField(
        _l("Type the new password again"),
        validators=[DataRequired(_l("Type the new password again.")),
                    EqualTo("password", _l("The two passwords are not the same."))],
    )


class NewPasswordForm(NewPasswordFields, PortalForm):
    """Choose a password (for `user`, whose name and details it must not be built from)."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
