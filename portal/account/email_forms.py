"""The form to change one's e-mail address."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.auth.recovery_forms import EmailAddress
from portal.forms import PortalForm


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
