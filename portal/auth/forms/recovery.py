"""Forms of getting back in: forgotten password or username, verification link again."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms import PortalForm

#: Something@something.something, no spaces: enough to catch typing mistakes. Whether the
#: address works is proved by the link we send to it, not by a pattern.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class EmailAddress:
    """WTForms validator: the text looks like an e-mail address."""

    def __call__(self, form, field):
        if field.data and not EMAIL_PATTERN.match(field.data.strip()):
            raise ValidationError(_l("Enter an e-mail address like name@example.com."))


class AccountIdentifierForm(PortalForm):
    """Which account: a username, an e-mail address or a patient ID."""

    identifier = StringField(
        _l("Username, e-mail address or patient ID"),
        validators=[DataRequired(_l("Enter your username, e-mail address or patient ID.")),
                    Length(max=254)],
    )


class ForgotUsernameForm(PortalForm):
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254),
                    EmailAddress()],
    )
