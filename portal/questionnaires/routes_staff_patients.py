"""The clinic gives a patient a form and reads what they sent.

Answers are health data: only staff who may read the record (clinicians and
administrators) see them, and every read is audited. Front desk staff do not.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.forms import PortalForm
from portal.i18n import locale_str
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, audit_target, shown
from portal.questionnaires import bp, notify, received, services
from portal.questionnaires.answers import sent_rows
from portal.questionnaires.forms import SendForm
from portal.questionnaires.routes_staff import BUILDER_ROLES
from portal.rendering import redirect_after_post, render


def _send_form(form=None) -> SendForm:
    form = form or SendForm()
    form.questionnaire.choices = [SelectChoice(q.id, services.in_language(q.titles))
                                  for q in services.active_questionnaires()]
    return form


def staff_forms_view(audit: Action | None = None, target: str | None = None, patient=True):
    """A staff page of patients' forms: answers are health data, for those who may read
    the record (clinicians and administrators); with `patient`, about the URL's patient."""
    return area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments", audit=audit,
                     target=target, permission=Permission.VIEW_RECORD if patient else None)


def _list_page(patient, form=None, status: int = 200):
    page = services.staff_responses(patient, page_number())
    return render("questionnaires/staff_patient_forms.html", "list", status=status,
                  patient=patient, responses=page, form=_send_form(form))


@bp.get("/staff/patients/<int:patient_id>/forms")
@staff_forms_view(Action.FORMS_LISTED, "staff-forms")
def patient_forms(patient):
    """The forms given to a patient, whether they sent them, and a form to give another."""
    return _list_page(patient)


@bp.post("/staff/patients/<int:patient_id>/forms")
@staff_forms_view()
def send_form(patient):
    """Give the patient a form to fill in, and tell them by e-mail if they want that."""
    form = _send_form()
    if not form.validate_on_submit():
        return _list_page(patient, form, 422)
    chosen = next(q for q in services.active_questionnaires()
                  if q.id == form.questionnaire.data)
    services.request_form(patient, chosen, current_user, tell=notify.queue_form_requested)
    flash(_("%(name)s can now fill in “%(form)s” in the portal.", name=patient.full_name,
            form=services.in_language(chosen.titles)), "success")
    return redirect_after_post(url_for(".patient_forms", patient_id=patient.id))


@bp.get("/staff/patients/<int:patient_id>/forms/<int:response_id>")
@staff_forms_view(Action.FORM_VIEWED, "form-response:{response_id}")
def patient_response(patient, response_id: int):
    """What the patient sent, worded as they read it; nothing before they send it."""
    response = find_or_refuse(services.find_response, response_id, patient,
                              Permission.VIEW_RECORD, name="form-response")
    return render("questionnaires/staff_response.html", patient=patient, response=response,
                  items=sent_rows(response, locale_str()) if response.is_sent else [],
                  snapshot=response.snapshot or {})


@bp.get("/staff/forms/received")
@staff_forms_view(Action.FORMS_RECEIVED_LISTED, patient=False)
def received_forms():
    """Forms patients sent: the new ones to deal with, or those already handled."""
    state = request.args.get("state", "new")
    state = state if state in received.STATES else "new"
    forms = received.received_page(state, page_number())
    shown(response.patient_id for response in forms.items)
    audit_target(f"received:{state}")
    return render("questionnaires/staff_received.html", "list", forms=forms, state=state,
                  new_total=forms.total if state == "new" else received.new_count())


@bp.post("/staff/patients/<int:patient_id>/forms/<int:response_id>/handled")
@staff_forms_view()
def response_handled(patient, response_id: int):
    """Mark a form the patient sent as dealt with; back to the list it was marked from."""
    response = find_or_refuse(services.find_response, response_id, patient,
                              Permission.VIEW_RECORD, name="form-response")
    if PortalForm().validate_on_submit() and received.mark_handled(
            response, current_user._get_current_object()):
        flash(_("“%(form)s” of %(name)s is marked as handled.", name=patient.full_name,
                form=services.in_language(response.questionnaire.titles)), "success")
    if request.form.get("back") == "received":
        return redirect_after_post(url_for(".received_forms"))
    return redirect_after_post(url_for(".patient_response", patient_id=patient.id,
                                       response_id=response.id))
