"""The patient's side of forms: the list, filling one in, and what was sent.

Everything acts for the patient the session acts for (`patient_for`); another patient's
form is a 404 with an audit line. Forms travel with visits, so they use the
appointments permission and area switch.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.i18n import locale_str
from portal.paging import page_number
from portal.pipeline import area_view
from portal.questionnaires import answers as forms_answers
from portal.questionnaires import bp, services
from portal.rendering import redirect_after_post, render


def forms_view(audit: Action | None = None, target: str | None = None):
    """A page of the patient's forms (they travel with visits: the appointments permission
    and area switch)."""
    return area_view(feature="appointments", permission=Permission.APPOINTMENTS, audit=audit,
                     target=target)


@bp.get("/forms")
@forms_view(Action.FORMS_LISTED, "forms")
def forms_list(patient):
    """The patient's forms: to fill in, in progress, and sent."""
    page = services.patient_responses(patient, page_number())
    return render("questionnaires/list.html", "list", patient=patient, responses=page)


def _fill_page(patient, response, form, status: int = 200, message=None):
    questions = response.questionnaire.questions
    lang = locale_str()
    answered = forms_answers.sent_rows(response, lang) if response.is_sent else None
    return render("questionnaires/fill.html", status=status, patient=patient,
                  response=response, form=form, questions=questions, message=message,
                  sent_items=answered,
                  title=(response.snapshot or {}).get("title")
                  or services.in_language(response.questionnaire.titles, lang),
                  intro=services.in_language(response.questionnaire.intros, lang))


@bp.post("/appointments/<int:appointment_id>/forms/<int:questionnaire_id>")
@forms_view()
def start(patient, appointment_id: int, questionnaire_id: int):
    """Start a form attached to an appointment: the patient's copy is made now, then filled in."""
    from portal.appointments.services import find_appointment

    appointment = find_or_refuse(find_appointment, appointment_id, patient,
                                 Permission.APPOINTMENTS, name="appointment")
    copy = find_or_refuse(lambda _patient, row_id: services.start_form(appointment, row_id),
                          questionnaire_id, patient, Permission.APPOINTMENTS,
                          name="questionnaire")
    return redirect_after_post(url_for(".fill", response_id=copy.id))


@bp.get("/forms/<int:response_id>")
@forms_view(Action.FORM_VIEWED, "form-response:{response_id}")
def fill(patient, response_id: int):
    """A form to fill in, with what was saved so far; once sent, the answers as sent."""
    response = find_or_refuse(services.find_response, response_id, patient,
                              Permission.APPOINTMENTS, name="form-response")
    form = None if response.is_sent else forms_answers.answer_form(
        response.questionnaire.questions, locale_str(), response.answers)
    return _fill_page(patient, response, form)


@bp.post("/forms/<int:response_id>")
@forms_view()
def save(patient, response_id: int):
    """Save the answers for later, or send them to the clinic when all are complete."""
    response = find_or_refuse(services.find_response, response_id, patient,
                              Permission.APPOINTMENTS, name="form-response")
    if response.is_sent:
        flash(_("This form was already sent. It cannot be changed."), "error")
        return redirect_after_post(url_for(".fill", response_id=response.id))
    questions, lang = response.questionnaire.questions, locale_str()
    sending = request.form.get("action") == "send"
    form = forms_answers.answer_form(questions, lang, formdata=request.form)
    form.validate()
    answers, ok = forms_answers.collect(form, questions, response.answers or {}, sending)
    if sending and ok:
        title = services.in_language(response.questionnaire.titles, lang)
        services.submit_answers(response, answers, forms_answers.snapshot(
            title, questions, answers, lang), current_user)
        flash(_("Thank you. Your answers are sent to the clinic."), "success")
        return redirect_after_post(url_for(".fill", response_id=response.id))
    if not sending:
        services.save_answers(response, answers, current_user)
        if ok:
            flash(_("Your answers are saved. You can come back and finish the form later."),
                  "success")
            return redirect_after_post(url_for(".fill", response_id=response.id))
        return _fill_page(patient, response, form, status=422, message=_(
            "Your other answers are saved. Correct the answers marked below and save again."))
    return _fill_page(patient, response, form, status=422, message=_(
        "The form is not sent yet. Answer the questions marked below, then send it again."))
