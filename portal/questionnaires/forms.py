"""The clinic's forms for building a questionnaire and giving it to a patient."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.forms import PortalForm
from portal.questionnaires.answers import ChoicesAnswer
from portal.questionnaires.display import KIND_NAMES
from portal.questionnaires.models import CHOICE_KINDS, KINDS

LANGUAGES = ("en", "nl", "pl")
TOO_LONG = _l("Write at most %(max)d characters.")


def _texts(form, prefix: str) -> dict:
    """{"en": ..., "nl": ..., "pl": ...} from the fields `<prefix>_<language>`, trimmed."""
    return {lang: (form[f"{prefix}_{lang}"].data or "").strip() for lang in LANGUAGES
            if (form[f"{prefix}_{lang}"].data or "").strip()}


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a "one per line" box."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class DetailsForm(PortalForm):
    """A form's title and introduction in each language (English required)."""

    title_en = StringField(_l("Title in English"), validators=[
        InputRequired(message=_l("Enter the title in English.")),
        Length(max=200, message=TOO_LONG)])
    title_nl = StringField(_l("Title in Dutch (optional)"),
                           validators=[Optional(), Length(max=200, message=TOO_LONG)])
    title_pl = StringField(_l("Title in Polish (optional)"),
                           validators=[Optional(), Length(max=200, message=TOO_LONG)])
    intro_en = TextAreaField(_l("Introduction in English (optional)"),
                             validators=[Optional(), Length(max=2000, message=TOO_LONG)])
    intro_nl = TextAreaField(_l("Introduction in Dutch (optional)"),
                             validators=[Optional(), Length(max=2000, message=TOO_LONG)])
    intro_pl = TextAreaField(_l("Introduction in Polish (optional)"),
                             validators=[Optional(), Length(max=2000, message=TOO_LONG)])

    def titles(self) -> dict:
        return _texts(self, "title")

    def intros(self) -> dict:
        return _texts(self, "intro")


class QuestionForm(PortalForm):
    """One question: its kind, whether it must be answered, its wording and options.

    `locked` is set for a form already in use: then only wording, hints and option texts
    change, and the options keep their number and order.
    """

    kind = RadioField(_l("Kind of answer"), default="text",
                      choices=[SelectChoice(kind, KIND_NAMES[kind]) for kind in KINDS],
                      validators=[InputRequired(message=_l("Choose the kind of answer."))])
    required = BooleanField(_l("The patient must answer this question"))
    wording_en = TextAreaField(_l("Question in English"), validators=[
        InputRequired(message=_l("Enter the question in English.")),
        Length(max=500, message=TOO_LONG)])
    wording_nl = TextAreaField(_l("Question in Dutch (optional)"),
                               validators=[Optional(), Length(max=500, message=TOO_LONG)])
    wording_pl = TextAreaField(_l("Question in Polish (optional)"),
                               validators=[Optional(), Length(max=500, message=TOO_LONG)])
    help_en = StringField(_l("Hint in English (optional)"),
                          validators=[Optional(), Length(max=300, message=TOO_LONG)])
    help_nl = StringField(_l("Hint in Dutch (optional)"),
                          validators=[Optional(), Length(max=300, message=TOO_LONG)])
    help_pl = StringField(_l("Hint in Polish (optional)"),
                          validators=[Optional(), Length(max=300, message=TOO_LONG)])
    options_en = TextAreaField(_l("Options in English, one per line"),
                               validators=[Length(max=3000, message=TOO_LONG)])
    options_nl = TextAreaField(_l("Options in Dutch, one per line (optional)"),
                               validators=[Length(max=3000, message=TOO_LONG)])
    options_pl = TextAreaField(_l("Options in Polish, one per line (optional)"),
                               validators=[Length(max=3000, message=TOO_LONG)])
    min_value = DecimalField(_l("Lowest number accepted (optional)"), places=None,
                             validators=[Optional()])
    max_value = DecimalField(_l("Highest number accepted (optional)"), places=None,
                             validators=[Optional()])

    locked: bool = False
    option_count: int = 0

    def wording(self) -> dict:
        return _texts(self, "wording")

    def help_texts(self) -> dict:
        return _texts(self, "help")

    def option_lines(self) -> dict[str, list[str]]:
        return {lang: lines(self[f"options_{lang}"].data) for lang in LANGUAGES}

    def validate_options_en(self, field):
        if self.kind.data not in CHOICE_KINDS:
            return
        count = len(lines(field.data))
        if self.locked and count != self.option_count:
            raise ValidationError(_l("This form is in use, so keep %(num)d options in the "
                                     "same order. To change them, copy the form.",
                                     num=self.option_count))
        if count < 2:
            raise ValidationError(_l("Give at least two options, one per line."))

    def _same_count(self, field):
        given = lines(field.data)
        if self.kind.data in CHOICE_KINDS and given and \
                len(given) != len(lines(self.options_en.data)):
            raise ValidationError(_l("Give as many options as in English, in the same "
                                     "order, or leave this box empty."))

    validate_options_nl = validate_options_pl = _same_count

    def validate_max_value(self, field):
        low = self.min_value.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("The highest number must not be lower than the "
                                     "lowest."))


class AttachForm(PortalForm):
    """The appointment types whose check-in asks for this form."""

    types = ChoicesAnswer(_l("Ask for this form before these appointments"), coerce=int,
                          choices=[])


class SendForm(PortalForm):
    """Which form to give a patient to fill in."""

    questionnaire = RadioField(_l("Form to send"), coerce=int, choices=[], validators=[
        InputRequired(message=_l("Choose a form to send."))])
