"""The clinic builds forms: titles and questions in three languages, use, attachment.

Clinicians and administrators build forms. Front desk and billing staff do not: what a
form asks is a clinical choice.
"""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.pipeline import STAFF, area_view
from portal.questionnaires import bp, builder
from portal.questionnaires.forms import LANGUAGES, AttachForm, DetailsForm
from portal.questionnaires.services import in_language
from portal.rendering import redirect_after_post, render

BUILDER_ROLES = ("clinician", "admin")


def builds_forms() -> bool:
    """Whether the signed-in member of staff builds and sends forms."""
    return getattr(current_user, "role", None) in BUILDER_ROLES


def _questionnaire(questionnaire_id: int):
    found = builder.find_questionnaire(questionnaire_id)
    if found is None:
        abort(404)
    return found


def _question(questionnaire, question_id: int):
    found = next((q for q in questionnaire.questions if q.id == question_id), None)
    if found is None:
        abort(404)
    return found


@bp.get("/staff/forms")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def staff_forms():
    """Every form of the clinic, with its status and number of questions."""
    page = builder.questionnaires_page(request.args.get("page", 1, type=int))
    return render("questionnaires/staff_forms.html", "list", questionnaires=page)


@bp.route("/staff/forms/new", methods=["GET", "POST"])
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def new_form():
    """Start a new draft form with its title and introduction."""
    form = DetailsForm()
    if form.validate_on_submit():
        created = builder.save_details(None, form.titles(), form.intros(), current_user)
        flash(_("The draft form is made. Now add its questions."), "success")
        return redirect_after_post(url_for(".edit_form", questionnaire_id=created.id))
    return render("questionnaires/staff_new.html", status=422 if form.errors else 200,
                  form=form)


def _details_form(questionnaire) -> DetailsForm:
    data = {f"{prefix}_{lang}": texts.get(lang, "") for prefix, texts in
            (("title", questionnaire.titles or {}), ("intro", questionnaire.intros or {}))
            for lang in LANGUAGES}
    return DetailsForm(data=data)


def _attach_form(questionnaire, form=None) -> AttachForm:
    form = form or AttachForm(types=[t.id for t in questionnaire.appointment_types])
    form.types.choices = [SelectChoice(t.id, in_language(t.names))
                          for t in builder.appointment_types()]
    return form


def _edit_page(questionnaire, status: int = 200, form=None, attach_form=None):
    return render("questionnaires/staff_form.html", status=status, questionnaire=questionnaire,
                  form=form or _details_form(questionnaire),
                  attach_form=_attach_form(questionnaire, attach_form))


@bp.get("/staff/forms/<int:questionnaire_id>")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def edit_form(questionnaire_id: int):
    """A form's details, its questions, its status and the appointments that ask for it."""
    return _edit_page(_questionnaire(questionnaire_id))


@bp.post("/staff/forms/<int:questionnaire_id>")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def save_form(questionnaire_id: int):
    """Change a form's title and introduction."""
    questionnaire = _questionnaire(questionnaire_id)
    form = DetailsForm()
    if not form.validate_on_submit():
        return _edit_page(questionnaire, 422, form=form)
    builder.save_details(questionnaire, form.titles(), form.intros(), current_user)
    flash(_("The title and introduction are saved."), "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire_id))


@bp.post("/staff/forms/<int:questionnaire_id>/status")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def change_status(questionnaire_id: int):
    """Put a form in use, or stop giving it to patients."""
    questionnaire = _questionnaire(questionnaire_id)
    wanted = request.form.get("status", "")
    try:
        builder.set_status(questionnaire, wanted, current_user)
    except builder.BuilderError as error:
        message = (_("Add at least one question before putting the form in use.")
                   if str(error) == "empty" else _("The form cannot be changed that way."))
        flash(message, "error")
    else:
        flash(_("The form is in use: you can now send it to patients.") if wanted == "active"
              else _("The form is no longer used. Patients who have it can still send it."),
              "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire_id))


@bp.post("/staff/forms/<int:questionnaire_id>/copy")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def copy_form(questionnaire_id: int):
    """Make a draft copy of a form, to change what a form in use cannot change."""
    copy = builder.copy_questionnaire(_questionnaire(questionnaire_id), current_user)
    flash(_("This is a draft copy. Change it, then put it in use."), "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=copy.id))


@bp.post("/staff/forms/<int:questionnaire_id>/appointment-types")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def attach_types(questionnaire_id: int):
    """Choose the appointment types whose check-in asks for this form."""
    questionnaire = _questionnaire(questionnaire_id)
    form = _attach_form(questionnaire, AttachForm())
    if not form.validate_on_submit():
        return _edit_page(questionnaire, 422, attach_form=form)
    builder.attach(questionnaire, form.types.data or [], current_user)
    flash(_("The appointments that ask for this form are saved."), "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire_id))
