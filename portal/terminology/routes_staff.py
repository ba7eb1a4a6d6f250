"""Staff pages of the terminology: find, add and change the names patients read."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render
from portal.security import bounded_int
from portal.terminology import bp, services_staff
from portal.terminology.forms import TermForm, TermSearchForm

#: Staff who write what patients read about their record.
EDITORS = ("clinician", "admin")


@bp.get("")
@area_view(side=STAFF, roles=EDITORS)
def terms():
    """The entries, found by code or name, and codes in records that have none yet."""
    form = TermSearchForm(request.args)
    query = form.q.data if form.validate() else ""
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    return render("terminology/terms.html", "results", form=form, query=query,
                  results=services_staff.search(query, page),
                  missing=services_staff.codes_without_entry())


@bp.route("/new", methods=["GET", "POST"])
@area_view(side=STAFF, roles=EDITORS)
def new_term():
    """Add an entry; `system`, `code` and `name` in the address fill the form in."""
    form = TermForm() if request.method == "POST" else TermForm(formdata=None, data={
        "system": request.args.get("system", "")[:200], "code": request.args.get("code", "")[:64],
        "name_en": request.args.get("name", "")[:200]})
    if request.method == "POST" and form.validate_on_submit():
        if services_staff.exists(form.system.data, form.code.data):
            form.code.errors.append(_("There is already an entry for this code."))
        else:
            services_staff.save(None, form.data, current_user)
            flash(_("Entry added."), "success")
            return redirect_after_post(url_for("terminology.terms", q=form.code.data))
    return render("terminology/term.html", status=422 if form.errors else 200, form=form,
                  term=None)


@bp.route("/<int:term_id>", methods=["GET", "POST"])
@area_view(side=STAFF, roles=EDITORS)
def term(term_id: int):
    """Change an entry's names and explanations (its system and code stay)."""
    found = services_staff.find(term_id)
    if found is None:
        abort(404)
    form = TermForm(obj=found) if request.method == "GET" else TermForm()
    # The code system and code are the entry's identity: they are shown, not edited.
    form.system.data, form.code.data = found.system, found.code
    if request.method == "POST" and form.validate_on_submit():
        services_staff.save(found, form.data, current_user)
        flash(_("Entry saved."), "success")
        return redirect_after_post(url_for("terminology.terms", q=found.code))
    return render("terminology/term.html", status=422 if form.errors else 200, form=form,
                  term=found)
