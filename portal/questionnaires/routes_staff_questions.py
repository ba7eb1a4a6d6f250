"""The clinic adds, changes and removes the questions of a form."""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.pipeline import STAFF, area_view
from portal.questionnaires import bp, builder
from portal.questionnaires.forms import LANGUAGES, QuestionForm
from portal.questionnaires.routes_staff import BUILDER_ROLES, _question, _questionnaire
from portal.rendering import redirect_after_post, render


def _question_data(question) -> dict:
    data = {"kind": question.kind, "required": question.required,
            "min_value": question.min_value, "max_value": question.max_value}
    for lang in LANGUAGES:
        data[f"wording_{lang}"] = (question.wording or {}).get(lang, "")
        data[f"help_{lang}"] = (question.help or {}).get(lang, "")
        data[f"options_{lang}"] = "\n".join(
            option["text"].get(lang, "") for option in question.options or []
            if option["text"].get(lang))
    return data


def _save(questionnaire, question, form: QuestionForm):
    """Validate and store the question; the page again with errors (422) when wrong."""
    locked = questionnaire.status != "draft"
    if locked:
        # The kind cannot change on a form in use: check the options against the real one.
        form.locked, form.option_count = True, len(question.options or [])
        form.kind.data, form.kind.raw_data = question.kind, [question.kind]
        form.min_value.data = form.max_value.data = None
    if not form.validate_on_submit():
        return render("questionnaires/staff_question.html", status=422,
                      questionnaire=questionnaire, question=question, form=form, locked=locked)
    builder.save_question(questionnaire, question, kind=form.kind.data,
                          required=form.required.data, wording=form.wording(),
                          help_texts=form.help_texts(), options=form.option_lines(),
                          min_value=form.min_value.data, max_value=form.max_value.data,
                          user=current_user)
    flash(_("The question is saved."), "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire.id))


@bp.route("/staff/forms/<int:questionnaire_id>/questions/new", methods=["GET", "POST"])
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def new_question(questionnaire_id: int):
    """Add a question to a draft form."""
    questionnaire = _questionnaire(questionnaire_id)
    if questionnaire.status != "draft":
        flash(_("This form is in use, so it cannot get new questions. Copy it to change it."),
              "error")
        return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire_id))
    if request.method == "POST":
        return _save(questionnaire, None, QuestionForm())
    return render("questionnaires/staff_question.html", questionnaire=questionnaire,
                  question=None, form=QuestionForm(), locked=False)


@bp.route("/staff/forms/<int:questionnaire_id>/questions/<int:question_id>",
          methods=["GET", "POST"])
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def edit_question(questionnaire_id: int, question_id: int):
    """Change a question; once the form is in use, only its wording, hint and option texts."""
    questionnaire = _questionnaire(questionnaire_id)
    question = _question(questionnaire, question_id)
    if request.method == "POST":
        return _save(questionnaire, question, QuestionForm())
    form = QuestionForm(data=_question_data(question))
    return render("questionnaires/staff_question.html", questionnaire=questionnaire,
                  question=question, form=form, locked=questionnaire.status != "draft")


@bp.post("/staff/forms/<int:questionnaire_id>/questions/<int:question_id>/remove")
@area_view(side=STAFF, roles=BUILDER_ROLES, feature="appointments")
def remove_question(questionnaire_id: int, question_id: int):
    """Take a question out of a draft form."""
    questionnaire = _questionnaire(questionnaire_id)
    question = _question(questionnaire, question_id)
    try:
        builder.remove_question(questionnaire, question, current_user)
    except builder.BuilderError:
        flash(_("This form is in use, so its questions stay. Copy it to change it."), "error")
    else:
        flash(_("The question is removed."), "success")
    return redirect_after_post(url_for(".edit_form", questionnaire_id=questionnaire_id))
