"""Forms of correction requests: the patient's request, and staff's accept or decline."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.corrections.models import TEXT_LIMIT
from portal.forms import PortalForm

#: What is wrong, as the patient chooses it.
REASON_LABELS = {
    "not-mine": _l("This is not mine"),
    "out-of-date": _l("This is out of date"),
    "wrong-value": _l("A name, date or value is wrong"),
    "other": _l("Something else is wrong"),
}


def _text_limit():
    return Length(max=TEXT_LIMIT, message=_l("Keep it to %(max)d characters or fewer.",
                                             max=TEXT_LIMIT))


class CorrectionForm(PortalForm):
    """What is wrong (a choice) and, in the patient's own words, what it should say."""

    reason = RadioField(_l("What is wrong?"), choices=list(REASON_LABELS.items()),
                        validators=[InputRequired(_l("Choose what is wrong."))])
    details = TextAreaField(
        _l("Tell us more (optional)"),
        validators=[Optional(), _text_limit()],
        render_kw={"maxlength": TEXT_LIMIT, "rows": 5},
    )

    def validate(self, extra_validators=None):
        """"Something else" needs words: the clinic cannot guess what is meant."""
        valid = super().validate(extra_validators)
        if self.reason.data == "other" and not (self.details.data or "").strip():
            self.details.errors = [*self.details.errors, _l("Say what is wrong.")]
            return False
        return valid


class AcceptForm(PortalForm):
    """Staff accept: what was changed (the patient reads it), and either the new name or
    value, or taking the item out of the record (a "not mine", an item recorded in error)."""

    change = TextAreaField(
        _l("What was changed (the patient reads this)"),
        validators=[DataRequired(_l("Say what was changed.")), _text_limit()],
        render_kw={"maxlength": TEXT_LIMIT, "rows": 4},
    )
    corrected_value = StringField(
        _l("The corrected name or value (optional)"),
        validators=[Optional(), Length(max=300, message=_l(
            "Keep it to %(max)d characters or fewer.", max=300))],
        render_kw={"maxlength": 300},
    )
    remove = BooleanField(_l("Take the item out of the patient's record"))

    def validate(self, extra_validators=None):
        """An item taken out has no new value: asking for both is a mistake to point out."""
        valid = super().validate(extra_validators)
        if self.remove.data and (self.corrected_value.data or "").strip():
            self.corrected_value.errors = [*self.corrected_value.errors, _l(
                "Leave the corrected value empty when the item is taken out of the record.")]
            return False
        return valid


class DeclineForm(PortalForm):
    """Staff decline, saying why: the patient reads the reason."""

    reason = TextAreaField(
        _l("Why the record stays as it is (the patient reads this)"),
        validators=[DataRequired(_l("Say why the request is declined.")), _text_limit()],
        render_kw={"maxlength": TEXT_LIMIT, "rows": 4},
    )
