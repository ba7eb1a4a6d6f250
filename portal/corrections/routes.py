"""The patient's side: ask for a correction of an item or of the contact details, and see
what became of each request."""

from functools import partial

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, acting_as_proxy, find_or_refuse, may, refuse
from portal.audit import Action
from portal.corrections import bp, services
from portal.corrections.forms import REASON_LABELS, CorrectionForm
from portal.family.rules import clinic_today
from portal.i18n import fmt_date
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render


def may_ask_correction(patient) -> bool:
    """Whether the signed-in user may ask for a correction of `patient`'s record: the
    patient, or someone acting for them whose grant holds both the records and the
    account permission (a request made in the patient's name, about what they can read)."""
    return (not current_user.is_staff and may(current_user, Permission.VIEW_RECORD, patient)
            and may(current_user, Permission.MANAGE_ACCOUNT, patient))


def _may_ask(patient) -> None:
    """Refuse (404 and an audit line) someone who may read but not ask."""
    if not may_ask_correction(patient):
        refuse(Permission.MANAGE_ACCOUNT, patient, target="correction")


@bp.get("/record/corrections")
@area_view(feature="records", permission=Permission.VIEW_RECORD, audit=Action.RECORD_VIEWED,
           target="corrections")
def index(patient):
    """The patient's correction requests, with where each one is."""
    page = services.requests_of(patient, request.args.get("page", 1, type=int))
    return render("corrections/list.html", "list", patient=patient, requests=page,
                  reasons=REASON_LABELS)


@bp.route("/record/corrections/new/<int:item_id>", methods=["GET", "POST"])
@area_view(feature="records", permission=Permission.VIEW_RECORD, audit=Action.RECORD_VIEWED,
           target="correction:record-item:{item_id}")
def ask_item(patient, item_id: int):
    """Say what is wrong with an item of the record and send it to the clinic."""
    _may_ask(patient)
    item = find_or_refuse(partial(services.find_item, as_proxy=acting_as_proxy(patient)),
                          item_id, patient, Permission.VIEW_RECORD,
                          name="correction:record-item")
    return _ask(patient, item)


@bp.route("/record/corrections/contact", methods=["GET", "POST"])
@area_view(feature="records", permission=Permission.VIEW_RECORD, audit=Action.RECORD_VIEWED,
           target="correction:contact-details")
def ask_contact(patient):
    """Say what is wrong with the contact details the clinic keeps, and send it."""
    _may_ask(patient)
    return _ask(patient, None)


def _ask(patient, item):
    form = CorrectionForm()
    if form.validate_on_submit():
        sent = services.ask(patient, current_user._get_current_object(), item,
                            form.reason.data, form.details.data, clinic_today())
        flash(_("Your request is sent. The clinic will answer by %(date)s.",
                date=fmt_date(sent.due_on)), "success")
        return redirect_after_post(_back(item))
    return render("corrections/ask.html", "ask_form", status=422 if form.errors else 200,
                  patient=patient, item=item, form=form, back=_back(item),
                  due_on=services.due_date(clinic_today()))


def _back(item) -> str:
    """The page the request is about: the item's page or list, or the list of requests."""
    if item is None:
        return url_for("corrections.index")
    endpoint, values, anchor = services.item_page(item)
    return url_for(endpoint, **values) + anchor
