"""Forms of messaging: writing, replying, notes, queues and repeat prescriptions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import PortalForm, accepted_file

SUBJECT_LENGTH = 150
BODY_LENGTH = 5000
#: What the file picker offers; the content decides what is accepted.
FILE_TYPES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _body(label, required: str):
    return TextAreaField(label, validators=[
        DataRequired(required),
        Length(max=BODY_LENGTH, message=_l("Keep the message to %(max)d characters or fewer.",
                                           max=BODY_LENGTH))],
        render_kw={"rows": 8})


def _attachment():
    return FileField(_l("Attach a file (optional)"), validators=[accepted_file],
                     render_kw={"accept": FILE_TYPES})


class ComposeForm(PortalForm):
    """A new message to the clinic: who it is for (topic), subject, text, a file."""

    topic = RadioField(_l("What is your message about?"), coerce=int,
                       validators=[InputRequired(_l("Choose what your message is about."))])
    subject = StringField(_l("Subject"), validators=[
        DataRequired(_l("Enter a subject, for example: Question about my blood test.")),
        Length(max=SUBJECT_LENGTH, message=_l("Keep the subject to %(max)d characters or "
                                              "fewer.", max=SUBJECT_LENGTH))])
    body = _body(_l("Your message"), _l("Enter your message."))
    attachment = _attachment()


class ReplyForm(PortalForm):
    """An answer in a thread, from either side."""

    body = _body(_l("Your reply"), _l("Enter your reply."))
    attachment = _attachment()


class NoteForm(PortalForm):
    """A note staff keep among themselves; the patient never sees it."""

    note = TextAreaField(_l("Internal note"), validators=[
        DataRequired(_l("Enter the note.")),
        Length(max=BODY_LENGTH, message=_l("Keep the note to %(max)d characters or fewer.",
                                           max=BODY_LENGTH))], render_kw={"rows": 3})


class AssignForm(PortalForm):
    """Which team's queue the thread is in, and who in it deals with it."""

    team = SelectField(_l("Team"), coerce=int, validate_choice=False)
    assignee = SelectField(_l("Dealt with by"), coerce=int, validate_choice=False)

    def validate_team(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose one of the teams."))

    def validate_assignee(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose a member of the chosen team, or “Nobody yet”."))


class RepeatForm(PortalForm):
    """Asking for more of a medicine: where to collect it, and a note."""

    pharmacy = RadioField(_l("Which pharmacy should we send it to?"),
                          validators=[InputRequired(_l("Choose a pharmacy."))])
    other_pharmacy = StringField(_l("Name and town of the pharmacy"), validators=[
        Length(max=150, message=_l("Keep the pharmacy's name to %(max)d "
                                               "characters or fewer.", max=150))])
    note = TextAreaField(_l("Note for the clinic (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("Keep the note to %(max)d characters or "
                                                "fewer.", max=1000))], render_kw={"rows": 3})

    #: The value of the "another pharmacy" choice.
    OTHER = "other"

    def __init__(self, pharmacies: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pharmacy.choices = [SelectChoice(name, name) for name in pharmacies] + [
            SelectChoice(self.OTHER, _l("Another pharmacy"))]
        if not self.pharmacy.data and pharmacies:
            self.pharmacy.data = pharmacies[0]

    def validate_other_pharmacy(self, field):
        if self.pharmacy.data == self.OTHER and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name and town of the pharmacy."))

    def chosen_pharmacy(self) -> str:
        if self.pharmacy.data == self.OTHER:
            return self.other_pharmacy.data.strip()
        return self.pharmacy.data


class DecisionForm(PortalForm):
    """Staff's decision on a repeat prescription request, with a reason when declined."""

    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("approve", _l("Approve: the prescription goes to the pharmacy")),
        SelectChoice("decline", _l("Decline"))],
        validators=[InputRequired(_l("Choose approve or decline."))])
    reason = TextAreaField(_l("Message for the patient"), validators=[
        Length(max=1000, message=_l("Keep the message to %(max)d characters or "
                                                "fewer.", max=1000))], render_kw={"rows": 3})

    def validate_reason(self, field):
        if self.decision.data == "decline" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the request is declined; the patient reads it."))


class TeamForm(PortalForm):
    """A team: its name for staff and its topic for patients, in each language; members."""

    name_en = StringField(_l("Name for staff, in English"), validators=[
        DataRequired(_l("Enter the team's name in English.")), Length(max=80)])
    name_nl = StringField(_l("Name for staff, in Dutch"), validators=[Optional(), Length(max=80)],
                          render_kw={"lang": "nl"})
    name_pl = StringField(_l("Name for staff, in Polish"), validators=[Optional(), Length(max=80)],
                          render_kw={"lang": "pl"})
    topic_en = StringField(_l("Topic patients choose, in English"), validators=[
        DataRequired(_l("Enter the topic in English, for example: A question for my doctor.")),
        Length(max=120)])
    topic_nl = StringField(_l("Topic patients choose, in Dutch"),
                           validators=[Optional(), Length(max=120)], render_kw={"lang": "nl"})
    topic_pl = StringField(_l("Topic patients choose, in Polish"),
                           validators=[Optional(), Length(max=120)], render_kw={"lang": "pl"})
    position = IntegerField(_l("Place in the list of topics"), default=0, validators=[
        InputRequired(_l("Enter a whole number, for example 1.")),
        NumberRange(min=0, max=999, message=_l("Enter a number from 0 to 999."))])
    active = BooleanField(_l("Patients can write to this team"), default=True)
    members = SelectMultipleField(_l("Members"), coerce=int,
                                  widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())

    def texts(self, prefix: str) -> dict:
        """{"en": ..., "nl": ..., "pl": ...} from the fields `prefix`_en and so on."""
        return {lang: (self[f"{prefix}_{lang}"].data or "").strip() for lang in ("en", "nl", "pl")
                if (self[f"{prefix}_{lang}"].data or "").strip()}
