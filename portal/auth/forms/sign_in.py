"""Forms of getting in."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

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


#: Words of this service a password should not be built from (with the clinic's name).
SERVICE_WORDS = ("portal", "patient", "patientportal", "clinic", "doctor", "huisarts",
                 "przychodnia", "password", "wachtwoord", "haslo")


def _personal_words(form) -> list[str]:
    """Words a person's password should not be built from: theirs and the clinic's.

    The list is documented in docs/security.md (ASVS 6.1.2); zxcvbn treats each as a
    word an attacker would try first.
    """
    from flask_login import current_user

    from portal.clinic import current_clinic

    context = [*SERVICE_WORDS, *current_clinic().name.split()]

    user = getattr(form, "user", None) or (current_user if current_user.is_authenticated
                                           else None)
    if user is None:
        return context
    words = [*context, user.username, user.email or "", user.display_name]
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

    def validate_password(self, field):
        """A temporary password was seen by staff (and perhaps written down): never kept."""
        from portal.security import verify_password

        user = self.user
        if (getattr(user, "password_is_temporary", False) and field.data
                and verify_password(user.password_hash, field.data)):
            raise ValidationError(_l("This is the temporary password. Choose a new one "
                                     "that only you know."))
