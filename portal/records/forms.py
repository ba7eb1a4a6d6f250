"""Record forms: what to download (the whole record or a period) and in which format;
for staff, releasing results and adding a document."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.forms import PortalForm, accepted_file
from portal.records.export import Period
from portal.security import MAX_ID

REAL_DATE = _l("Enter a real date, for example 2024-03-31.")


class DayField(DateField):
    """A date (an `<input type=date>`); empty is no date, anything unreadable an error."""

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            self.raw_data = []  # blank is no input: InputRequired says so, as for nothing
            return
        try:
            super().process_formdata([" ".join(valuelist).strip()])
        except ValueError:
            raise ValueError(str(REAL_DATE)) from None
        if not 1800 <= self.data.year <= 2200:
            self.data = None
            raise ValueError(str(REAL_DATE))


class DownloadForm(FlaskForm):
    """A GET form: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    scope = RadioField(_l("What to download"), default="all",
                       choices=[SelectChoice("all", _l("The whole record")),
                                SelectChoice("period", _l("Only what happened in a period"))])
    from_date = DayField(_l("From (first day)"))
    to_date = DayField(_l("To (last day)"))
    format = RadioField(_l("Format"), default="html", choices=[
        SelectChoice("html", _l("A summary to read, print or save (web page)")),
        SelectChoice("text", _l("Plain text, easy to read with a screen reader")),
        SelectChoice("fhir", _l("A FHIR file for another health app or clinic (JSON)")),
    ])

    def validate(self, extra_validators=None) -> bool:
        """Check the choice; dates count only when the person chose a period."""
        if self.scope.data != "period":
            for day in (self.from_date, self.to_date):
                day.process_errors, day.data = [], None
        return super().validate(extra_validators)

    @property
    def submitted(self) -> bool:
        """Whether the person chose something (a plain visit only shows the form)."""
        return bool(self.format.raw_data)

    def validate_from_date(self, field):
        if self.scope.data == "period" and not field.process_errors and field.data is None \
                and not self.to_date.process_errors and self.to_date.data is None:
            raise ValidationError(_l("Enter the first day, the last day, or both."))

    def validate_to_date(self, field):
        start = self.from_date.data
        if self.scope.data == "period" and start and field.data and field.data < start:
            raise ValidationError(_l("The last day must be the same as or after the first "
                                     "day."))

    def period(self) -> Period:
        """The chosen period; the whole record when the person chose it."""
        if self.scope.data != "period":
            return Period()
        return Period(self.from_date.data, self.to_date.data)


class ConfidentialForm(FlaskForm):
    """Staff mark one item or document confidential from people acting for the patient."""

    what = RadioField(choices=[SelectChoice("item", "item"), SelectChoice("document", "document")],
                      validators=[InputRequired()])
    item_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    confidential = RadioField(choices=[SelectChoice("1", "1"), SelectChoice("0", "0")],
                              validators=[InputRequired()])


NOTE_LENGTH = 2000


class ReleaseForm(PortalForm):
    """An optional note in plain words that the patient reads with the released results."""

    note = TextAreaField(
        _l("Note for the patient (optional)"),
        validators=[Optional(), Length(max=NOTE_LENGTH, message=_l(
            "Keep the note to %(max)d characters or fewer.", max=NOTE_LENGTH))],
    )


class DocumentForm(PortalForm):
    """A letter or scan for the patient's record: a title and a PDF, JPEG or PNG file."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title, for example: Letter from the hospital.")),
                    Length(max=200, message=_l("Keep the title to 200 characters or fewer."))],
    )
    file = FileField(
        _l("File (PDF, JPEG or PNG)"),
        validators=[FileRequired(_l("Choose the file to add."))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )

    def validate_file(self, field):
        """The type is what the file's content shows, whatever its name or the browser say."""
        accepted_file(self, field)
