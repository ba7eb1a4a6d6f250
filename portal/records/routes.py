"""The dashboard and the record pages.

Each record page has two addresses served by one view: the patient's own (`/record/...`,
for the patient the session acts for) and staff's (`/staff/patients/<id>/record/...`).
`patient_for` decides whose record it is and whether this user may see it; links inside a
page keep to the same family of addresses through `record_url`.
"""

from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import audit
from portal.access import (
    Permission,
    acting_patient_id,
    forget_ended_choice,
    may,
    patient_for,
    patient_required,
    permissions_for,
    refuse,
)
from portal.clinic import current_clinic
from portal.dashboard import PANELS
from portal.records import bp, services, services_results
from portal.records.charts import history_chart
from portal.rendering import render, wants_fragment

STAFF_PREFIX = "/staff/patients/<int:patient_id>"

bp.add_app_template_filter(services.display_value, "result_value")
bp.add_app_template_filter(services.reference_range, "usual_range")
bp.add_app_template_filter(services.display_unit, "unit")
bp.add_app_template_filter(services.dosage_text, "dosage")


@bp.app_template_global()
def record_args(patient) -> dict:
    """The URL values that keep a link in the same family: staff's carry the patient's id."""
    return {"patient_id": patient.id} if current_user.is_staff else {}


@bp.app_template_global()
def record_url(endpoint: str, patient, **values) -> str:
    """The address of a record page for `patient`, in the family of the current page."""
    return url_for(endpoint, **record_args(patient), **values)


def record_page(view):
    """Let patients through at their own addresses and staff at the staff addresses.

    A patient asking for a staff address is refused even for their own record, so that
    each family of pages stays with its own kind of user; staff at a patient's address
    have no patient to act for, and `patient_for` refuses them.
    """

    @wraps(view)
    @login_required
    def wrapped(*args, patient_id=None, **kwargs):
        if patient_id is not None and not current_user.is_staff:
            refuse(Permission.VIEW_RECORD)
        if not current_clinic().feature_on("records"):
            abort(404)
        return view(*args, patient_id=patient_id, **kwargs)

    return wrapped


def _viewed(response, patient, target: str):
    """Audit the page view, then send the page.

    The line is written once the page is rendered: committing earlier would expire every
    loaded row, and the template would then load each one again.
    """
    audit.record("record-viewed", patient=patient, target=target, commit=True)
    return response


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


@bp.get("/home")
@patient_required
def dashboard():
    """The patient's start page: whose record this is, new results, where to go next.

    Someone whose access to the record they had open has ended is told so; someone who
    acts for nobody (yet) goes to the family page, where they can ask for access.
    """
    if forget_ended_choice(current_user):
        flash(_("Your access to the record you had open has ended."), "error")
    if acting_patient_id(current_user) is None and current_clinic().feature_on("family"):
        return redirect(url_for("family.index"), 303)
    patient = patient_for(_home_permission())
    return _viewed(_dashboard(patient), patient, "dashboard")


@bp.get("/home/new-results")
@patient_required
def new_results():
    """The dashboard's "New results" section alone, for htmx; a plain request goes home."""
    patient = patient_for(Permission.VIEW_RECORD)
    if not wants_fragment():
        response = redirect(url_for("records.dashboard"), 303)
        response.vary.add("HX-Request")
        return response
    return _viewed(_dashboard(patient), patient, "new-results")


def _home_permission() -> Permission:
    """What the home page needs: the record, or for someone acting for a patient without
    the records permission, any permission their grant holds (so they still get a home).

    A choice the gate no longer allows keeps VIEW_RECORD, so that `patient_for` refuses it.
    """
    if current_user.is_staff:
        return Permission.VIEW_RECORD
    allowed = permissions_for(current_user, acting_patient_id(current_user))
    if not allowed or Permission.VIEW_RECORD in allowed:
        return Permission.VIEW_RECORD
    return min(allowed)


def _panels(patient):
    """The areas' home-page panels this user may see for `patient`."""
    clinic = current_clinic()
    return [(p.template, p.load(patient)) for p in PANELS if clinic.feature_on(p.feature)
            and may(current_user, _PANEL_PERMISSION.get(p.feature, Permission.VIEW_RECORD),
                    patient)]


_PANEL_PERMISSION = {p.value: p for p in Permission}


def _dashboard(patient):
    shows_records = (current_clinic().feature_on("records")
                     and may(current_user, Permission.VIEW_RECORD, patient))
    latest, count = services.new_results(patient) if shows_records else ([], 0)
    return render("records/dashboard.html", "new_results", patient=patient,
                  shows_records=shows_records, latest=latest, new_count=count,
                  panels=[] if wants_fragment() else _panels(patient))


@bp.get("/record")
@bp.get(f"{STAFF_PREFIX}/record")
@record_page
def overview(patient_id=None):
    """The record's contents: each part with how many items it holds."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    return _viewed(render("records/overview.html", patient=patient,
                          summary=services.overview(patient)), patient, "overview")


@bp.get("/record/results")
@bp.get(f"{STAFF_PREFIX}/record/results")
@record_page
def results(patient_id=None):
    """Released results, newest first, grouped by day and by report."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    days = services_results.results_page(patient, _page_number())
    return _viewed(render("records/results.html", "list", patient=patient, days=days),
                   patient, "results")


@bp.get("/record/results/<int:item_id>")
@bp.get(f"{STAFF_PREFIX}/record/results/<int:item_id>")
@record_page
def result(item_id: int, patient_id=None):
    """One result with its note and the history of the same test; the patient has now seen it."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    item = services.find_item(patient, "observation", item_id)
    if item is None:
        refuse(Permission.VIEW_RECORD, patient, target=f"result:{item_id}")
    if not current_user.is_staff:
        services.mark_seen(item)
    past = services_results.history(patient, item)
    page = render("records/result.html", patient=patient, item=item, history=past,
                  report=services_results.report_of(patient, item),
                  chart=history_chart(past.values, "history-chart", item.title))
    return _viewed(page, patient, f"result:{item_id}")


@bp.get("/record/visits")
@bp.get(f"{STAFF_PREFIX}/record/visits")
@record_page
def visits(patient_id=None):
    """Visits to the clinic and elsewhere, newest first."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    visits = services.list_page(patient, "encounter", _page_number())
    return _viewed(render("records/visits.html", "list", patient=patient, visits=visits),
                   patient, "visits")


@bp.get("/record/visits/<int:item_id>")
@bp.get(f"{STAFF_PREFIX}/record/visits/<int:item_id>")
@record_page
def visit(item_id: int, patient_id=None):
    """One visit: when, where, with whom, and the diagnoses, treatment and results it brought."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    item = services.find_item(patient, "encounter", item_id)
    if item is None:
        refuse(Permission.VIEW_RECORD, patient, target=f"visit:{item_id}")
    page = render("records/visit.html", patient=patient, visit=item,
                  found=services_results.visit_items(patient, item))
    return _viewed(page, patient, f"visit:{item_id}")


def _list(kind: str, template: str, patient_id, current: tuple[str, ...] | None = None):
    """A paginated list page of one kind of item (current ones first when `current`)."""
    patient = patient_for(Permission.VIEW_RECORD, patient_id)
    if current:
        items = services.current_first_page(patient, kind, current, _page_number())
    else:
        items = services.list_page(patient, kind, _page_number())
    return _viewed(render(f"records/{template}.html", "list", patient=patient, items=items,
                          current=current or ()), patient, template)


@bp.get("/record/medications")
@bp.get(f"{STAFF_PREFIX}/record/medications")
@record_page
def medications(patient_id=None):
    """Medicines: the current ones, then those stopped or finished."""
    return _list("medication", "medications", patient_id, services.CURRENT_MEDICATION)


@bp.get("/record/conditions")
@bp.get(f"{STAFF_PREFIX}/record/conditions")
@record_page
def conditions(patient_id=None):
    """Health problems and diagnoses: the active ones, then those resolved."""
    return _list("condition", "conditions", patient_id, services.CURRENT_CONDITION)


@bp.get("/record/allergies")
@bp.get(f"{STAFF_PREFIX}/record/allergies")
@record_page
def allergies(patient_id=None):
    """Allergies and intolerances, with reactions and how serious they are."""
    return _list("allergy", "allergies", patient_id)


@bp.get("/record/immunizations")
@bp.get(f"{STAFF_PREFIX}/record/immunizations")
@record_page
def immunizations(patient_id=None):
    """Vaccinations given, newest first."""
    return _list("immunization", "immunizations", patient_id)


@bp.get("/record/procedures")
@bp.get(f"{STAFF_PREFIX}/record/procedures")
@record_page
def procedures(patient_id=None):
    """Procedures and operations, newest first."""
    return _list("procedure", "procedures", patient_id)
