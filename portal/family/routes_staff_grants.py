"""Staff's view of who may act for one patient: the grants, ending one, recording consent."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse, refuse
from portal.audit import Action
from portal.family import bp, services
from portal.family.forms import (
    GRANT_STATUS_LABELS,
    PERMISSION_LABELS,
    ConfirmForm,
    EndGrantForm,
)
from portal.family.models import LIVE, ProxyGrant
from portal.family.routes_staff import STAFF_ROLES
from portal.pipeline import STAFF, area_view
from portal.rendering import redirect_after_post, render

#: Grants staff can end: those that give access, or will once accepted.
ENDABLE = (*LIVE, "invited")


def _end_form(grant_id: int, **values) -> EndGrantForm:
    """The form that ends one grant; the prefix keeps each grant's fields apart."""
    return EndGrantForm(prefix=f"grant-{grant_id}", **values)


def _page(patient, status: int = 200, failed: tuple[int, EndGrantForm] | None = None):
    """The patient's grants; `failed` is (grant id, form) of an ending that had mistakes."""
    grants = services.grants_of(patient)
    forms = {grant.id: _end_form(grant.id, formdata=None) for grant in grants
             if grant.status in ENDABLE}
    if failed is not None:
        forms[failed[0]] = failed[1]
        failed = failed[1]
    return render("family/staff_grants.html", status=status, patient=patient, grants=grants,
                  blocked=services.blocked_grants(grants, patient),
                  endings=services.endings_of(grants, patient),
                  labels=PERMISSION_LABELS, statuses=GRANT_STATUS_LABELS, live=LIVE,
                  forms=forms, failed=failed, confirm=ConfirmForm(formdata=None))


def _grant(grant_id: int):
    """The grant and its patient, through the gate; an unknown grant is a 404 on record."""
    grant = find_or_refuse(ProxyGrant, grant_id, None, Permission.MANAGE_ACCOUNT,
                           name="proxy-grant")
    return grant, grant.patient


@bp.get("/staff/family/patients/<int:patient_id>")
@area_view(side=STAFF, roles=STAFF_ROLES, feature="family", permission=Permission.MANAGE_ACCOUNT,
           audit=Action.FAMILY_VIEWED, target="grants")
def staff_grants(patient):
    """Everyone who acts, acted or is invited to act for the patient, and with which rights."""
    return _page(patient)


@bp.post("/staff/family/grants/<int:grant_id>/end")
@area_view(side=STAFF, roles=STAFF_ROLES, feature="family")
def staff_end_grant(grant_id: int):
    """End someone's access now, saying why."""
    grant, patient = _grant(grant_id)
    form = _end_form(grant.id)
    if grant.status not in ENDABLE:
        refuse(Permission.MANAGE_ACCOUNT, patient, target=f"proxy-grant:{grant_id}")
    if not form.validate():
        return _page(patient, 422, failed=(grant.id, form))
    services.end_by_staff(grant, current_user._get_current_object(), form.note.data)
    flash(_("The access of %(name)s has ended.", name=grant.grantee.display_name), "success")
    return redirect_after_post(url_for("family.staff_grants", patient_id=patient.id))


@bp.post("/staff/family/grants/<int:grant_id>/consent")
@area_view(side=STAFF, roles=STAFF_ROLES, feature="family")
def staff_record_consent(grant_id: int):
    """Record that the child agreed to the parent's access (after talking with the child)."""
    grant, patient = _grant(grant_id)
    if grant.status not in LIVE or not ConfirmForm().validate():
        refuse(Permission.MANAGE_ACCOUNT, patient, target=f"proxy-grant:{grant_id}")
    services.record_consent(grant, current_user._get_current_object())
    flash(_("The child's agreement is recorded."), "success")
    return redirect_after_post(url_for("family.staff_grants", patient_id=patient.id))
