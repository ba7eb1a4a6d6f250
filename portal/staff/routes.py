"""Staff console pages."""

from flask import request

from portal.access import staff_required
from portal.rendering import render
from portal.staff import bp, services
from portal.staff.forms import PatientSearchForm


@bp.get("/patients")
@staff_required()
def patients():
    """Find a patient by name, patient ID or date of birth."""
    form = PatientSearchForm(request.args)
    query = form.q.data if form.validate() else ""
    page = request.args.get("page", 1, type=int)
    results = services.search_patients(query, page=max(page, 1))
    return render("staff/patients.html", "results", form=form, results=results, query=query)
