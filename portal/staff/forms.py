"""Staff console forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.auth.forms.recovery import EmailAddress
from portal.auth.usernames import MAX_LENGTH, AvailableUsername, email_taken
from portal.forms import PortalForm
from portal.models import STAFF_ROLES
from portal.records.forms import DayField
from portal.templating import ROLE_NAMES


class PatientSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Name, patient ID or date of birth (YYYY-MM-DD)"),
                    validators=[Optional(), Length(max=100)])


class InviteForm(PortalForm):
    """How to send a patient's invitation: by e-mail, as a printed letter, or both."""

    by_email = BooleanField(_l("By e-mail"))
    by_letter = BooleanField(_l("As a printed letter"), default=True)
    #: The newest invitation when the form was shown ("" for none): see invite_patient.
    replaces = HiddenField()

    @property
    def replaces_id(self) -> int | None:
        return int(self.replaces.data) if (self.replaces.data or "").isdigit() else None

    def __init__(self, *args, patient=None, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def validate_by_email(self, field):
        if field.data and self.patient is not None and not self.patient.email:
            raise ValidationError(_l("This patient has no e-mail address. Send a printed "
                                     "letter instead."))
        if not field.data and not self.by_letter.data:
            raise ValidationError(_l("Choose e-mail, a printed letter, or both."))


class TemporaryPasswordForm(PortalForm):
    """The username of an account made with a temporary password."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter a username.")), Length(max=MAX_LENGTH),
                    AvailableUsername()],
    )


class ResetSecondFactorForm(PortalForm):
    """Remove a second factor: only after checking identity, and with a reason."""

    identity_checked = BooleanField(
        _l("I have checked this person's identity"),
        validators=[DataRequired(_l("Check the person's identity first, then tick this "
                                    "box."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason for the reset.")), Length(max=200)],
    )


class StaffAccountForm(PortalForm):
    """A new member of staff."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter a username.")), Length(max=MAX_LENGTH),
                    AvailableUsername()],
    )
    display_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the full name.")), Length(max=200)],
    )
    email = StringField(
        _l("Work e-mail address"),
        validators=[DataRequired(_l("Enter the work e-mail address.")), Length(max=254),
                    EmailAddress()],
    )
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Choose a role"))] + [
            (role, ROLE_NAMES[role]) for role in STAFF_ROLES]

    def validate_email(self, field):
        if field.data and email_taken(field.data):
            raise ValidationError(_l("Another account already uses this e-mail address."))


class SignInSettingsForm(PortalForm):
    """How patients sign in: whether a second step is required, and e-mailed codes."""

    patient_2fa_required = BooleanField(_l("Patients must use a second sign-in step"))
    email_codes_allowed = BooleanField(_l("Patients may get their codes by e-mail"))


class AuditSearchForm(FlaskForm):
    """The administrator's search of the audit trail: a GET form, so no CSRF token.

    The staff members' choices are filled by the view (they are the clinic's accounts);
    the actions and outcomes come from the one list in `portal.audit`.
    """

    class Meta:
        csrf = False

    patient = SearchField(_l("Patient"), validators=[Optional(), Length(max=100)])
    actor = SelectField(_l("Staff member"), choices=[], default="")
    action = SelectField(_l("What was done"), choices=[], default="")
    outcome = SelectField(_l("Outcome"), choices=[], default="")
    from_date = DayField(_l("From (first day)"))
    to_date = DayField(_l("To (last day)"))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        from portal.audit import Action
        from portal.templating import OUTCOME_NAMES

        self.actor.choices = [("", _l("Anyone"))] + [(str(user.id), user.display_name)
                                                      for user in staff]
        self.action.choices = [("", _l("Anything"))] + sorted(
            ((action.value, action.label) for action in Action), key=lambda pair: pair[1])
        self.outcome.choices = [("", _l("Any outcome"))] + [
            (key, name) for key, name in OUTCOME_NAMES.items()]

    def validate_to_date(self, field):
        start = self.from_date.data
        if start and field.data and field.data < start:
            raise ValidationError(_l("The last day must be the same as or after the first "
                                     "day."))

    @property
    def actor_id(self) -> int | None:
        return int(self.actor.data) if (self.actor.data or "").isdigit() else None
