"""Billing forms: paying, asking for a plan, insurance cover, and staff's bookkeeping."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
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

from portal.billing.money import iban_is_valid, parse_amount
from portal.billing.plans import INSTALMENT_CHOICES, NOTE_LIMIT
from portal.forms import PortalForm, accepted_file
from portal.records.forms import DayField

AMOUNT_HINT = _l("For example 12.50 or 12,50")


class AmountField(StringField):
    """An amount of money as a person types it: "12,50" and "12.50" both work.

    `data` keeps what was typed (so it is shown again on an error); `amount` is the exact
    Decimal, or None.
    """

    amount = None

    def post_validate(self, form, validation_stopped):
        self.amount = parse_amount(self.data) if not self.errors else None


def positive_amount(form, field) -> None:
    """Validator: a positive amount with at most two decimals."""
    if not (field.data or "").strip():
        return
    amount = parse_amount(field.data)
    if amount is None:
        raise ValidationError(_l("Enter an amount in numbers with at most two decimals, "
                                 "for example 12.50."))
    if amount <= 0:
        raise ValidationError(_l("Enter an amount greater than zero."))


class PayForm(PortalForm):
    """How much to pay now: all that is owed, or part of it."""

    amount = AmountField(_l("Amount to pay"), validators=[
        DataRequired(_l("Enter the amount to pay.")), positive_amount])


class PlanForm(PortalForm):
    """Ask to pay one statement in monthly instalments."""

    instalments = RadioField(_l("Number of monthly instalments"), coerce=int,
                             validators=[InputRequired(_l("Choose how many instalments."))])


RELATION_LABELS = {"self": _l("Myself"), "spouse": _l("My spouse or partner"),
                   "parent": _l("My parent or guardian"), "other": _l("Someone else")}


class CoverageForm(PortalForm):
    """The patient's insurance cover as it is now; saving adds a version for review."""

    insurer = StringField(_l("Insurance company"), validators=[
        DataRequired(_l("Enter the name of your insurance company.")),
        Length(max=120, message=_l("Keep this to 120 characters or fewer."))])
    member_number = StringField(_l("Policy or member number"), validators=[
        DataRequired(_l("Enter your policy or member number.")),
        Length(max=40, message=_l("Keep this to 40 characters or fewer."))])
    holder_name = StringField(_l("Name of the policy holder"), validators=[
        DataRequired(_l("Enter the name of the policy holder.")),
        Length(max=120, message=_l("Keep this to 120 characters or fewer."))])
    relation = RadioField(_l("The policy holder is"), default="self",
                          choices=[SelectChoice(k, v) for k, v in RELATION_LABELS.items()],
                          validators=[InputRequired(_l("Choose who holds the policy."))])
    valid_from = DayField(_l("Valid from"), validators=[
        InputRequired(_l("Enter the date the cover starts, for example 2026-01-01."))])
    valid_to = DayField(_l("Valid until (optional)"), validators=[Optional()])
    card = FileField(_l("Photo of your insurance card (optional, JPEG, PNG or PDF)"),
                     render_kw={"accept": ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,"
                                          "application/pdf"})

    def validate_valid_to(self, field):
        """The end, when given, is not before the start."""
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def validate_card(self, field):
        """The type is what the file's content shows, whatever its name says."""
        accepted_file(self, field)


class LineForm(Form):
    """One line of a new statement; a line left empty is skipped."""

    description = StringField(_l("Description"), validators=[
        Optional(), Length(max=200, message=_l("Keep this to 200 characters or fewer."))])
    service_date = DayField(_l("Date of service"), validators=[Optional()])
    charged = AmountField(_l("Amount charged"), validators=[Optional(), positive_amount])
    insurance_paid = AmountField(_l("Paid by insurance"), validators=[Optional()])

    def validate_insurance_paid(self, field):
        """Insurance pays zero or more, never more than was charged."""
        if not (field.data or "").strip():
            return
        paid, charged = parse_amount(field.data), parse_amount(self.charged.data)
        if paid is None:
            raise ValidationError(_l("Enter an amount in numbers with at most two decimals, "
                                     "for example 12.50."))
        if charged is not None and paid > charged:
            raise ValidationError(_l("Insurance cannot pay more than was charged."))

    def validate(self, extra_validators=None):
        """A line is filled in whole (description, date, amount) or left empty."""
        valid = super().validate(extra_validators)
        parts = (self.description, self.service_date, self.charged)
        filled = [bool(self.description.data and self.description.data.strip()),
                  self.service_date.data is not None,
                  bool(self.charged.data and self.charged.data.strip())]
        if any(filled) and not all(filled):
            empty = next(part for part, done in zip(parts, filled, strict=True) if not done)
            empty.errors = [*empty.errors, _l("Fill in the description, date and amount "
                                               "of the line, or leave all three empty.")]
            return False
        return valid


class StatementForm(PortalForm):
    """A new statement: up to five lines, and the due date."""

    lines = FieldList(FormField(LineForm), min_entries=5, max_entries=5)
    due_on = DayField(_l("Due date (optional)"), validators=[Optional()])

    def validate_lines(self, field):
        """At least one line is filled in."""
        if not any((entry.form.description.data or "").strip() for entry in field.entries):
            raise ValidationError(_l("Fill in at least one line."))


DESK_METHODS = {"cash": _l("Cash"), "card": _l("Card at the desk"),
                "transfer": _l("Bank transfer")}


class DeskPaymentForm(PortalForm):
    """Money received at the desk or seen on the bank account."""

    amount = AmountField(_l("Amount received"), validators=[
        DataRequired(_l("Enter the amount received.")), positive_amount])
    method = RadioField(_l("How it was paid"),
                        choices=[SelectChoice(k, v) for k, v in DESK_METHODS.items()],
                        validators=[InputRequired(_l("Choose how it was paid."))])
    statement = SelectField(_l("Pay off first"), coerce=int, default=0)
    note = StringField(_l("Note (optional)"), validators=[
        Optional(), Length(max=200, message=_l("Keep this to 200 characters or fewer."))])


class RefundForm(PortalForm):
    """How much of a payment goes back to the patient."""

    amount = AmountField(_l("Amount to give back"), validators=[
        DataRequired(_l("Enter the amount to give back.")), positive_amount])


class ActionForm(PortalForm):
    """A button that changes something: only the CSRF token."""


#: The answers staff give a payment plan (the button pressed, `name="decision"`).
PLAN_DECISIONS = ("approve", "decline")


class PlanDecisionForm(PortalForm):
    """Staff approve a payment plan, or decline it with the reason the patient reads.

    One form per plan on the list: its reason field's id names the plan, so each label,
    hint and error belongs to its own row.
    """

    note = TextAreaField(
        _l("Reason for declining, in words the patient may read"),
        validators=[Optional(), Length(max=NOTE_LIMIT, message=_l(
            "Keep it to %(max)d characters or fewer.", max=NOTE_LIMIT))],
        render_kw={"maxlength": NOTE_LIMIT, "rows": 3})

    def __init__(self, plan_id: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_id = plan_id
        self.note.id = self.note.label.field_id = f"plan-{plan_id}-note"

    @property
    def decision(self) -> str | None:
        """The button pressed: "approve", "decline", or None for anything else."""
        chosen = request.form.get("decision")
        return chosen if chosen in PLAN_DECISIONS else None

    def validate(self, extra_validators=None):
        """Declining needs a reason; approving needs none."""
        valid = super().validate(extra_validators)
        if self.decision == "decline" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Say why the plan is declined.")]
            return False
        return valid


def instalment_choices() -> list[SelectChoice]:
    """The numbers of monthly instalments a patient may choose from."""
    return [SelectChoice(n, str(n)) for n in INSTALMENT_CHOICES]


class SettingsForm(PortalForm):
    """The clinic's billing settings (administrators)."""

    bank_iban = StringField(_l("Bank account (IBAN) for transfers"), validators=[
        Optional(), Length(max=42, message=_l("Keep this to 42 characters or fewer."))])
    bank_holder = StringField(_l("Account holder's name"), validators=[
        Optional(), Length(max=200, message=_l("Keep this to 200 characters or fewer."))])
    payment_days = IntegerField(_l("Days to pay a statement"), validators=[
        InputRequired(_l("Enter a number of days, for example 30.")),
        NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365."))])
    payment_plans_offered = BooleanField(_l("Patients may ask to pay in monthly "
                                            "instalments"))

    def validate_bank_iban(self, field):
        """An IBAN whose check digits are right, so no payment goes astray."""
        if field.data and not iban_is_valid(field.data):
            raise ValidationError(_l("This is not a valid IBAN. Check it against the "
                                     "bank's letter, for example NL91 ABNA 0417 1643 00."))
