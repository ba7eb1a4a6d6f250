"""Forms of the appointments area: booking, check-in, and the clinic's set-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.appointments.models import REFERRAL_STATUSES
from portal.appointments.referrals import STATUS_NAMES
from portal.forms import PortalForm

REASON_LENGTH = 500
YES_NO = [("yes", _l("Yes")), ("no", _l("No, something has changed"))]


class BookForm(PortalForm):
    """Confirm a slot: the kind of visit (when the slot allows several) and the reason."""

    appointment_type = RadioField(_l("What kind of appointment?"), coerce=int,
                                  validators=[InputRequired(_l("Choose the kind of appointment."))])
    reason = TextAreaField(_l("Why do you want to see us?"), validators=[
        DataRequired(_l("Enter the reason for your appointment.")),
        Length(max=REASON_LENGTH, message=_l("Keep the reason to %(max)d characters or fewer.",
                                             max=REASON_LENGTH))], render_kw={"rows": 4})


class ConfirmForm(PortalForm):
    """A form with only a button: cancel, or move to the chosen time."""


def _changes(label):
    return TextAreaField(label, validators=[Length(max=REASON_LENGTH)],
                         render_kw={"rows": 3})


class CheckInForm(PortalForm):
    """What the patient confirms before the visit."""

    contact_ok = RadioField(_l("Are your contact details up to date?"), choices=YES_NO,
                            validators=[InputRequired(_l("Answer whether your contact details "
                                                         "are up to date."))])
    insurance_same = RadioField(_l("Is your insurance still the same?"), choices=YES_NO,
                                validators=[InputRequired(_l("Answer whether your insurance "
                                                             "is still the same."))])
    medications_same = RadioField(_l("Are these still the medicines you take?"),
                                  choices=YES_NO, validators=[InputRequired(
                                      _l("Answer whether these are still your medicines."))])
    medication_changes = _changes(_l("What has changed in your medicines?"))
    allergies_same = RadioField(_l("Are these still your allergies?"), choices=YES_NO,
                                validators=[InputRequired(
                                    _l("Answer whether these are still your allergies."))])
    allergy_changes = _changes(_l("What has changed in your allergies?"))

    def nothing_listed(self, medicines: bool, allergies: bool) -> None:
        """Where the page lists nothing to confirm (none recorded, or no access to the
        record), ask whether anything has changed instead of "are these still…"."""
        if not medicines:
            self.medications_same.label.text = _l("Have your medicines stayed the same?")
        if not allergies:
            self.allergies_same.label.text = _l("Have your allergies stayed the same?")

    def validate_medication_changes(self, field):
        if self.medications_same.data == "no" and not (field.data or "").strip():
            raise ValidationError(_l("Tell us what has changed in your medicines."))

    def validate_allergy_changes(self, field):
        if self.allergies_same.data == "no" and not (field.data or "").strip():
            raise ValidationError(_l("Tell us what has changed in your allergies."))


class TypeForm(PortalForm):
    """An appointment type, named in each language."""

    name_en = StringField(_l("Name in English"), validators=[
        DataRequired(_l("Enter the name in English.")), Length(max=120)])
    name_nl = StringField(_l("Name in Dutch"), validators=[Optional(), Length(max=120)])
    name_pl = StringField(_l("Name in Polish"), validators=[Optional(), Length(max=120)])
    duration_minutes = IntegerField(_l("Length in minutes"), default=10, validators=[
        InputRequired(_l("Enter the length in minutes.")),
        NumberRange(5, 480, _l("Enter a length from 5 to 480 minutes."))])
    cancel_cutoff_hours = IntegerField(_l("Patients may cancel until this many hours before"),
                                       default=24, validators=[
        InputRequired(_l("Enter the number of hours.")),
        NumberRange(0, 720, _l("Enter a number of hours from 0 to 720."))])
    bookable_online = BooleanField(_l("Patients may book this type in the portal"),
                                   default=True)
    active = BooleanField(_l("In use"), default=True)


class PractitionerForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")),
                                               Length(max=200)])


class LocationForm(PortalForm):
    name = StringField(_l("Name of the place"), validators=[DataRequired(_l("Enter the name.")),
                                                            Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=400)])


def _where_and_who(form: str):
    """Practitioner, place and type; ids start with `form`, as both slot forms share a page
    (each label must point to its own form's field; the names stay the same)."""
    return (SelectField(_l("Practitioner"), coerce=int, id=f"{form}-practitioner",
                        validators=[InputRequired(_l("Choose the practitioner."))]),
            SelectField(_l("Place"), coerce=int, id=f"{form}-location",
                        validators=[InputRequired(_l("Choose the place."))]),
            SelectField(_l("Appointment type"), coerce=int, default=0,
                        id=f"{form}-appointment_type"))


class SlotForm(PortalForm):
    """One open slot."""

    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    start = TimeField(_l("Start time"), validators=[InputRequired(_l("Enter the start time."))])
    duration = IntegerField(_l("Length in minutes"), default=10, validators=[
        InputRequired(_l("Enter the length in minutes.")),
        NumberRange(5, 480, _l("Enter a length from 5 to 480 minutes."))])
    practitioner, location, appointment_type = _where_and_who("slot")


WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
            (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]


class SeriesForm(PortalForm):
    """Recurring slots: on some weekdays, between two dates and two times."""

    weekdays = SelectMultipleField(_l("On these days"), coerce=int, choices=WEEKDAYS,
                                   validators=[DataRequired(_l("Choose at least one day."))])
    first_day = DateField(_l("From date"), validators=[InputRequired(_l("Enter the first date."))])
    last_day = DateField(_l("To date"), validators=[InputRequired(_l("Enter the last date."))])
    from_time = TimeField(_l("From time"), validators=[InputRequired(_l("Enter the start time."))])
    to_time = TimeField(_l("To time"), validators=[InputRequired(_l("Enter the end time."))])
    every = IntegerField(_l("A slot every this many minutes"), default=10, validators=[
        InputRequired(_l("Enter the minutes between slots.")),
        NumberRange(5, 480, _l("Enter from 5 to 480 minutes."))])
    practitioner, location, appointment_type = _where_and_who("series")

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last date must be on or after the first date."))
        if self.first_day.data and field.data and (field.data - self.first_day.data).days > 366:
            raise ValidationError(_l("Open at most one year of slots at a time."))

    def validate_to_time(self, field):
        if self.from_time.data and field.data and field.data <= self.from_time.data:
            raise ValidationError(_l("The end time must be after the start time."))


class ClosedDayForm(PortalForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    reason = StringField(_l("Reason (shown to staff)"), validators=[Optional(), Length(max=200)])


STATUS_CHOICES = [(s, STATUS_NAMES[s]) for s in REFERRAL_STATUSES]


class ReferralForm(PortalForm):
    """A referral the clinic made."""

    referred_to = StringField(_l("Referred to"), validators=[
        DataRequired(_l("Enter to whom the patient is referred.")), Length(max=200)])
    reason = TextAreaField(_l("Reason, in words the patient may read"), validators=[
        Optional(), Length(max=REASON_LENGTH)], render_kw={"rows": 3})
    referred_on = DateField(_l("Date of the referral"),
                            validators=[InputRequired(_l("Enter the date."))])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="requested")


class ReferralStatusForm(PortalForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class BookSettingsForm(PortalForm):
    """The clinic's reminder and check-in timing."""

    reminder_hours = IntegerField(_l("Send the reminder e-mail this many hours before"),
                                  validators=[InputRequired(_l("Enter the number of hours.")),
                                              NumberRange(1, 336, _l("Enter a number of hours "
                                                                     "from 1 to 336."))])
    check_in_days = IntegerField(_l("Check-in opens this many days before"), validators=[
        InputRequired(_l("Enter the number of days.")),
        NumberRange(0, 30, _l("Enter a number of days from 0 to 30."))])
