"""The form a patient fills in, built from a questionnaire's questions, and its answers.

Each questionnaire gets its own WTForms class, one field per question named `q<id>`.
Required answers are checked only when the patient sends the form, so that "save and
continue later" keeps anything typed; a value that cannot be read (a word in a number
box) is an error either way.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import PortalForm
from portal.i18n import fmt_number
from portal.questionnaires.models import Question
from portal.questionnaires.services import in_language
from portal.records.forms import DayField

NOT_A_NUMBER = _l("Enter a number, for example 12 or 1.5.")
NOT_AN_OPTION = _l("Choose one of the options shown.")
#: Longest answers kept, so one answer cannot fill the database.
TEXT_LIMIT, LONG_TEXT_LIMIT = 500, 5000


class NumberAnswer(StringField):
    """A number typed as text: "1,5" and "1.5" both read as one and a half."""

    number: Decimal | None = None

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist else ""
        self.data, self.number = raw, None
        if not raw:
            return
        try:
            number = Decimal(raw.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(str(NOT_A_NUMBER)) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValueError(str(NOT_A_NUMBER))
        self.number = number


class ChoiceAnswer(RadioField):
    """One option, or none yet."""

    def pre_validate(self, form):
        if self.data not in (None, "") and self.data not in {c.value for c in self.choices}:
            raise ValidationError(str(NOT_AN_OPTION))


class ChoicesAnswer(SelectMultipleField):
    """Any number of options, as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        allowed = {c.value for c in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(str(NOT_AN_OPTION))


def option_choices(question: Question, lang: str) -> list[SelectChoice]:
    """(code, text in `lang`) of the question's options; yes/no has its own two."""
    if question.kind == "yes_no":
        return [SelectChoice("yes", _("Yes")), SelectChoice("no", _("No"))]
    return [SelectChoice(option["code"], in_language(option.get("text"), lang))
            for option in question.options or []]


def _in_range(question: Question):
    def check(form, field):
        number = field.number
        if number is None:
            return
        low, high = question.min_value, question.max_value
        if low is not None and number < low or high is not None and number > high:
            if low is not None and high is not None:
                raise ValidationError(_("Enter a number from %(low)s to %(high)s.",
                                        low=fmt_number(low.normalize()),
                                        high=fmt_number(high.normalize())))
            if low is not None:
                raise ValidationError(_("Enter a number of at least %(low)s.",
                                        low=fmt_number(low.normalize())))
            raise ValidationError(_("Enter a number of at most %(high)s.",
                                    high=fmt_number(high.normalize())))
    return check


def _field(question: Question, lang: str):
    label = in_language(question.wording, lang)
    if not question.required:
        label = _("%(question)s (optional)", question=label)
    kind = question.kind
    if kind == "long_text":
        return TextAreaField(label, validators=[Length(max=LONG_TEXT_LIMIT, message=_l(
            "Write at most %(max)d characters."))])
    if kind == "number":
        return NumberAnswer(label, validators=[_in_range(question)])
    if kind == "date":
        return DayField(label)
    if kind in ("single_choice", "yes_no"):
        return ChoiceAnswer(label, choices=option_choices(question, lang))
    if kind == "multiple_choice":
        return ChoicesAnswer(label, choices=option_choices(question, lang))
    return StringField(label, validators=[Length(max=TEXT_LIMIT, message=_l(
        "Write at most %(max)d characters."))])


def answer_form(questions: list[Question], lang: str, stored: dict | None = None,
                formdata=None) -> PortalForm:
    """A form for `questions` in `lang`: filled from `stored` answers on a GET, from the
    request on a POST."""
    form_class = type("AnswerForm", (PortalForm,), {
        f"q{question.id}": _field(question, lang) for question in questions})
    if formdata is not None:
        return form_class(formdata=formdata)
    return form_class(data=_initial(questions, stored or {}))


def _initial(questions: list[Question], stored: dict) -> dict:
    data = {}
    for question in questions:
        value = stored.get(str(question.id))
        if value is None:
            continue
        if question.kind == "date":
            try:
                value = date.fromisoformat(value)
            except (TypeError, ValueError):
                continue
        data[f"q{question.id}"] = value
    return data


def collect(form: PortalForm, questions: list[Question], previous: dict,
            sending: bool) -> tuple[dict, bool]:
    """(answers to store, whether every answer is acceptable) after `form.validate()`.

    An answer that could not be read keeps what was saved before; when `sending`, an
    unanswered required question gets its error message here.
    """
    answers, ok = {}, True
    for question in questions:
        key, field = str(question.id), form[f"q{question.id}"]
        if field.errors:
            ok = False
            if key in previous:
                answers[key] = previous[key]
            continue
        value = _stored_value(question, field)
        if value is not None:
            answers[key] = value
        elif sending and question.required:
            # Named, so that the error summary says which question, not just "answer".
            field.errors = [_("Answer: %(question)s", question=field.label.text)]
            ok = False
    return answers, ok


def _stored_value(question: Question, field):
    kind = question.kind
    if kind == "number":
        return str(field.number.normalize()) if field.number is not None else None
    if kind == "date":
        return field.data.isoformat() if field.data else None
    if kind == "multiple_choice":
        return list(field.data) if field.data else None
    if kind in ("single_choice", "yes_no"):
        return field.data or None
    text = (field.data or "").strip()
    return text or None


def rows(questions: list[Question], answers: dict, lang: str) -> list[dict]:
    """Each question with its answer, worded in `lang`, as a read-only page shows them."""
    found = []
    for question in questions:
        value = answers.get(str(question.id))
        labels = []
        if question.kind in ("single_choice", "yes_no", "multiple_choice") and value:
            names = {c.value: c.label for c in option_choices(question, lang)}
            codes = value if isinstance(value, list) else [value]
            labels = [names.get(code, code) for code in codes]
        found.append({"question": in_language(question.wording, lang), "kind": question.kind,
                      "value": value, "labels": labels})
    return found


def snapshot(title: str, questions: list[Question], answers: dict, lang: str) -> dict:
    """What the patient sends, frozen: the title and every question as they read it."""
    return {"locale": lang, "title": title, "items": rows(questions, answers, lang)}


def sent_rows(response, lang: str) -> list[dict]:
    """What a sent response shows: its snapshot; rows from the current wording only for a
    response stored without one (never the case for what a patient sent here)."""
    if response.snapshot and response.snapshot.get("items") is not None:
        return response.snapshot["items"]
    return rows(response.questionnaire.questions, response.answers or {}, lang)
