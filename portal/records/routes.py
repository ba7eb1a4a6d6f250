"""The dashboard and the record pages.

Each record page has two addresses served by one view: the patient's own (`/record/...`,
for the patient the session acts for) and staff's (`/staff/patients/<id>/record/...`).
`area_view` decides whose record it is and whether this user may see it; links inside a
page keep to the same family of addresses through `record_url`.
"""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import (
    Permission,
    acting_as_proxy,
    acting_patient_id,
    find_or_refuse,
    forget_ended_choice,
    may,
    permissions_for,
)
from portal.audit import Action
from portal.clinic import current_clinic
from portal.dashboard import PANELS, panels_for
from portal.paging import page_number
from portal.pipeline import BOTH, area_view
from portal.records import bp, services, services_detail, services_results
from portal.records.charts import history_chart
from portal.rendering import render, wants_fragment

STAFF_PREFIX = "/staff/patients/<int:patient_id>"


def record_args(patient) -> dict:
    """The URL values that keep a link in the same family: staff's carry the patient's id."""
    return {"patient_id": patient.id} if current_user.is_staff else {}


def record_url(endpoint: str, patient, **values) -> str:
    """The address of a record page for `patient`, in the family of the current page."""
    return url_for(endpoint, **record_args(patient), **values)


@bp.get("/home")
@area_view()
def dashboard():
    """The patient's start page: whose record this is, new results, where to go next.

    Someone whose access to the record they had open has ended is told so; someone who
    acts for nobody (yet) goes to the family page, where they can ask for access.
    """
    if forget_ended_choice(current_user):
        flash(_("Your access to the record you had open has ended."), "error")
    if acting_patient_id(current_user) is None and current_clinic().feature_on("family"):
        return redirect(url_for("family.index"), 303)
    return _home()


@area_view(permission=lambda: _home_permission(), audit=Action.RECORD_VIEWED,
           target="dashboard")
def _home(patient):
    """The home page once the choice of whose record it shows is settled."""
    return _dashboard(patient)


@bp.get("/home/new-results")
@area_view(permission=Permission.VIEW_RECORD, audit=Action.RECORD_VIEWED, target="new-results")
def new_results(patient):
    """The dashboard's "New results" section alone, for htmx; a plain request goes home."""
    if not wants_fragment():
        response = redirect(url_for("records.dashboard"), 303)
        response.vary.add("HX-Request")
        return response
    return _dashboard(patient)


def _home_permission() -> Permission:
    """What the home page needs: the record, or for someone acting for a patient without
    the records permission, any permission their grant holds (so they still get a home).

    A choice the gate no longer allows keeps VIEW_RECORD, so that `patient_for` refuses it.
    """
    allowed = permissions_for(current_user, acting_patient_id(current_user))
    if not allowed or Permission.VIEW_RECORD in allowed:
        return Permission.VIEW_RECORD
    return min(allowed)


def _panels(patient):
    """The areas' home-page panels this user may see for `patient`."""
    clinic = current_clinic()
    return panels_for(patient, [
        p for p in PANELS if clinic.feature_on(p.feature)
        and may(current_user, _PANEL_PERMISSION.get(p.feature, Permission.VIEW_RECORD),
                patient)])


_PANEL_PERMISSION = {p.value: p for p in Permission}


def _dashboard(patient):
    shows_records = (current_clinic().feature_on("records")
                     and may(current_user, Permission.VIEW_RECORD, patient))
    latest, count = (services_results.new_results(patient, as_proxy=acting_as_proxy(patient))
                     if shows_records else ([], 0))
    return render("records/dashboard.html", "new_results", patient=patient,
                  shows_records=shows_records, latest=latest, new_count=count,
                  panels=[] if wants_fragment() else _panels(patient))


def record_view(target: str):
    """A record page at both addresses (patient's and staff's), audited as `target`."""
    return area_view(side=BOTH, feature="records", permission=Permission.VIEW_RECORD,
                     audit=Action.RECORD_VIEWED, target=target)


@bp.get("/record")
@bp.get(f"{STAFF_PREFIX}/record")
@record_view("overview")
def overview(patient):
    """The record's contents: each part with how many items it holds."""
    return render("records/overview.html", patient=patient,
                  summary=services.overview(patient, as_proxy=acting_as_proxy(patient)))


@bp.get("/record/results")
@bp.get(f"{STAFF_PREFIX}/record/results")
@record_view("results")
def results(patient):
    """Released results, newest first, grouped by day and by report."""
    days = services_results.results_page(patient, page_number(),
                                        as_proxy=acting_as_proxy(patient))
    return render("records/results.html", "list", patient=patient, days=days)


@bp.get("/record/results/<int:item_id>")
@bp.get(f"{STAFF_PREFIX}/record/results/<int:item_id>")
@record_view("result:{item_id}")
def result(patient, item_id: int):
    """One result with its note and the history of the same test; the patient has now seen it."""
    item = find_or_refuse(_finder("observation"), item_id, patient, Permission.VIEW_RECORD,
                          name="result")
    if not current_user.is_staff:
        services.mark_seen(item)
    as_proxy = acting_as_proxy(patient)
    past = services_detail.history(patient, item, as_proxy=as_proxy)
    # Imported here: the terminology's staff forms load portal.forms, which loads this area.
    from portal.terminology.services import friendly_name

    return render("records/result.html", patient=patient, item=item, history=past,
                  report=services_detail.report_of(patient, item, as_proxy=as_proxy),
                  chart=history_chart(past.values, "history-chart", friendly_name(item)))


@bp.get("/record/visits")
@bp.get(f"{STAFF_PREFIX}/record/visits")
@record_view("visits")
def visits(patient):
    """Visits to the clinic and elsewhere, newest first."""
    visits = services.list_page(patient, "encounter", page_number(),
                                as_proxy=acting_as_proxy(patient))
    return render("records/visits.html", "list", patient=patient, visits=visits)


@bp.get("/record/visits/<int:item_id>")
@bp.get(f"{STAFF_PREFIX}/record/visits/<int:item_id>")
@record_view("visit:{item_id}")
def visit(patient, item_id: int):
    """One visit: when, where, with whom, and the diagnoses, treatment and results it brought."""
    item = find_or_refuse(_finder("encounter"), item_id, patient, Permission.VIEW_RECORD,
                          name="visit")
    return render("records/visit.html", patient=patient, visit=item,
                  found=services_detail.visit_items(patient, item,
                                                     as_proxy=acting_as_proxy(patient)))


def _finder(kind: str):
    """Look up an item of `kind` within a patient, for `find_or_refuse`."""
    return lambda patient, item_id: services.find_item(patient, kind, item_id,
                                                       as_proxy=acting_as_proxy(patient))


def _list(patient, kind: str, template: str, current: tuple[str, ...] | None = None):
    """A paginated list page of one kind of item (current ones first when `current`)."""
    if current:
        items = services.current_first_page(patient, kind, current, page_number(),
                                            as_proxy=acting_as_proxy(patient))
    else:
        items = services.list_page(patient, kind, page_number(),
                                   as_proxy=acting_as_proxy(patient))
    return render(f"records/{template}.html", "list", patient=patient, items=items,
                  current=current or ())


@bp.get("/record/medications")
@bp.get(f"{STAFF_PREFIX}/record/medications")
@record_view("medications")
def medications(patient):
    """Medicines: the current ones, then those stopped or finished."""
    return _list(patient, "medication", "medications", services.CURRENT_MEDICATION)


@bp.get("/record/conditions")
@bp.get(f"{STAFF_PREFIX}/record/conditions")
@record_view("conditions")
def conditions(patient):
    """Health problems and diagnoses: the active ones, then those resolved."""
    return _list(patient, "condition", "conditions", services.CURRENT_CONDITION)


@bp.get("/record/allergies")
@bp.get(f"{STAFF_PREFIX}/record/allergies")
@record_view("allergies")
def allergies(patient):
    """Allergies and intolerances, with reactions and how serious they are."""
    return _list(patient, "allergy", "allergies")


@bp.get("/record/immunizations")
@bp.get(f"{STAFF_PREFIX}/record/immunizations")
@record_view("immunizations")
def immunizations(patient):
    """Vaccinations given, newest first."""
    return _list(patient, "immunization", "immunizations")


@bp.get("/record/procedures")
@bp.get(f"{STAFF_PREFIX}/record/procedures")
@record_view("procedures")
def procedures(patient):
    """Procedures and operations, newest first."""
    return _list(patient, "procedure", "procedures")
