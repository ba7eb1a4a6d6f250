"""Downloading the record: a summary to print, plain text, or a FHIR file for another app.

The same view serves the patient (`/record/download`) and staff
(`/staff/patients/<id>/record/download`); `patient_for` decides whose record it is.
"""

from flask import make_response, render_template, request

from portal.access import acting_as_proxy
from portal.audit import Action
from portal.pipeline import audit_target
from portal.records import bp, export
from portal.records.forms import DownloadForm
from portal.records.routes import STAFF_PREFIX, record_view
from portal.rendering import render
from portal.types import utcnow


@bp.get("/record/download")
@bp.get(f"{STAFF_PREFIX}/record/download")
@record_view("download")
def download(patient):
    """The choice of period and format; once chosen, the record in that format (audited)."""
    form = DownloadForm(request.args)
    if not form.submitted:
        return render("records/download.html", patient=patient, form=form)
    if not form.validate():
        return render("records/download.html", status=422, patient=patient, form=form)
    fmt, period = form.format.data, form.period()
    audit_target(f"format:{fmt}; {period.audit_text()}", Action.RECORD_DOWNLOADED)
    return _record_file(patient, fmt, period)


def _record_file(patient, fmt: str, period: export.Period):
    """The response holding the record in `fmt`: shown (summary, text) or saved (FHIR)."""
    made_at, as_proxy = utcnow(), acting_as_proxy(patient)
    if fmt == "fhir":
        body = export.fhir_json(patient, period, made_at, as_proxy=as_proxy)
    else:
        template = "records/summary.html" if fmt == "html" else "records/summary.txt"
        body = render_template(template, summary=export.summary(patient, period, made_at,
                                                                as_proxy=as_proxy))
    mimetype, _, shown = export.FORMATS[fmt]
    response = make_response(body)
    response.mimetype = mimetype
    disposition = "inline" if shown else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{export.filename(patient, fmt, made_at)}"')
    response.headers["Cache-Control"] = "no-store"
    return response
