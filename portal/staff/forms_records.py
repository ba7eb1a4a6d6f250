"""Staff forms about the record: releasing results, adding a document."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import PortalForm, accepted_file

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
