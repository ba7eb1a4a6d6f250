"""Forms of the family area: asking for access, inviting, switching, and staff's decision."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portal.forms import PortalForm, accepted_file
from portal.records.forms import DayField
from portal.security import MAX_ID

RELATIONSHIP_CHOICES = [("parent", _l("Parent")), ("guardian", _l("Guardian")),
                        ("carer", _l("Carer")), ("partner", _l("Partner")),
                        ("other", _l("Other"))]
PERMISSION_LABELS = {"records": _l("View the health record"), "messages": _l("Messages"),
                     "appointments": _l("Appointments"), "billing": _l("Bills"),
                     "account": _l("Manage account details")}


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


GRANT_STATUS_LABELS = {"active": _l("Active"),
                       "pending_consent": _l("Waits for the child's agreement"),
                       "invited": _l("Invited, not yet accepted"),
                       "revoked": _l("Ended by hand"),
                       "ended": _l("Ended by the clinic's rules")}


class PermissionFields:
    """One checkbox per permission a grant can hold."""

    perm_records = BooleanField(PERMISSION_LABELS["records"])
    perm_messages = BooleanField(PERMISSION_LABELS["messages"])
    perm_appointments = BooleanField(PERMISSION_LABELS["appointments"])
    perm_billing = BooleanField(PERMISSION_LABELS["billing"])
    perm_account = BooleanField(PERMISSION_LABELS["account"])

    def permission_fields(self):
        return [self.perm_records, self.perm_messages, self.perm_appointments,
                self.perm_billing, self.perm_account]

    def chosen(self) -> list[str]:
        return [f.name.removeprefix("perm_") for f in self.permission_fields() if f.data]


class AskForm(PortalForm):
    """A parent or carer asks to act for a child."""

    given_name = StringField(_l("The child's first name"), validators=[
        DataRequired(_l("Enter the child's first name.")), Length(max=100)])
    family_name = StringField(_l("The child's last name"), validators=[
        DataRequired(_l("Enter the child's last name.")), Length(max=100)])
    birth_date = DayField(_l("The child's date of birth"), validators=[
        InputRequired(_l("Enter the child's date of birth, for example 2015-03-31."))])
    relationship = RadioField(_l("You are the child's"), choices=_choices(RELATIONSHIP_CHOICES[:3]),
                              validators=[InputRequired(_l("Choose how you are related."))])
    note = TextAreaField(_l("Anything the clinic should know (optional)"),
                         validators=[Optional(), Length(max=1000)])
    document = FileField(_l("A document that shows you may act for the child (optional)"),
                         validators=[accepted_file])


class InviteForm(PermissionFields, PortalForm):
    """An adult patient invites someone with a portal account to act for them."""

    email = EmailField(_l("Their e-mail address"), validators=[
        DataRequired(_l("Enter their e-mail address.")),
        Email(_l("Enter an e-mail address like name@example.com."))])
    relationship = RadioField(_l("They are your"), choices=_choices(RELATIONSHIP_CHOICES[1:]),
                              validators=[InputRequired(_l("Choose how you are related."))])
    ends_on = DayField(_l("Until (optional)"), validators=[Optional()])


class DecideForm(PermissionFields, PortalForm):
    """Staff approve or decline a request after checking the requester's identity."""

    decision = RadioField(_l("Decision"), choices=_choices([("approve", _l("Approve")),
                                                            ("decline", _l("Decline"))]),
                          validators=[InputRequired(_l("Choose approve or decline."))])
    #: The search the child is chosen from (kept, so the choices come back with an error).
    q = HiddenField()
    #: Choices: the patients the search on the request page found.
    patient_id = RadioField(_l("The child"), coerce=int, validators=[Optional()])
    relationship = RadioField(_l("Relationship"), choices=_choices(RELATIONSHIP_CHOICES),
                              validators=[InputRequired(_l("Choose the relationship."))])
    ends_on = DayField(_l("Access ends on (optional)"), validators=[Optional()])
    child_consented = BooleanField(_l("The child has agreed (needed from the age the clinic's "
                                      "rules name)"))
    reason = TextAreaField(_l("Why (the identity check done, or why declined)"), validators=[
        DataRequired(_l("Say why.")), Length(max=1000)])


class SwitchForm(PortalForm):
    """Choose whose record to open."""

    patient_id = IntegerField(_l("Whose record"), validators=[InputRequired(),
                                                             NumberRange(1, MAX_ID)])


class ConfirmForm(PortalForm):
    """A form with only its CSRF token: revoke, accept."""


class EndGrantForm(PortalForm):
    """Staff end someone's access, saying why.

    One per grant on the page, told apart by a prefix; the page's plain `csrf_token`
    field is checked by CSRFProtect for every POST, so the form does not check it again.
    """

    class Meta:
        csrf = False

    note = TextAreaField(_l("Why the access ends"), validators=[
        DataRequired(_l("Say why the access ends.")), Length(max=1000)])


class ChildSearchForm(PortalForm):
    """Staff look for the child of a request by name, patient ID or date of birth."""

    class Meta:
        csrf = False

    q = StringField(_l("Find the child"), validators=[Optional(), Length(max=100)])
