"""Views of the family area: the patient's /family page, asking, inviting and switching."""

from flask import abort, flash, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in
from sqlalchemy import func, select

from portal import audit
from portal.access import (
    ACTING_FOR_KEY,
    Permission,
    acting_as_proxy,
    acting_patient_id,
    acts_for,
    refuse,
)
from portal.audit import Action
from portal.clinic import current_clinic
from portal.extensions import db
from portal.family import bp, services
from portal.family.forms import (
    PERMISSION_LABELS,
    RELATIONSHIP_CHOICES,
    AskForm,
    ConfirmForm,
    InviteForm,
    SwitchForm,
)
from portal.family.models import ProxyGrant
from portal.family.rules import bar_links, clinic_today, note_links
from portal.models import Patient, User
from portal.pipeline import area_view, shown
from portal.rendering import redirect_after_post, render


def _page(ask=None, invite=None, status=200):
    user = current_user
    own = user.patient_id
    granted = services.grants_for_patient(own) if own else []
    held = services.held_grants(user)
    shown([own, *(entry.grant.patient_id for entry in held)])
    return render("family/index.html", status=status, granted=granted,
                  endings=services.endings_of(granted, user.patient) if own else {},
                  held=held, sent=services.requests_of(user),
                  acting=acting_patient_id(user),
                  invitations=services.invitations_for(user), labels=PERMISSION_LABELS,
                  ask=ask or AskForm(formdata=None), invite=invite or InviteForm(formdata=None),
                  confirm=ConfirmForm(formdata=None))


def acting_bar() -> dict | None:
    """What the "You are viewing ..." bar shows: nothing for a user who acts for no one."""
    if not current_user.is_authenticated or current_user.is_staff:
        return None
    if current_user.patient_id is not None and ACTING_FOR_KEY not in session:
        links = bar_links(current_user)
    else:
        links = acts_for(current_user)
    if not links:
        return None
    acting = acting_patient_id(current_user)
    current = next((link for link in links if link.patient_id == acting), None)
    return {"current": current, "links": links, "own": current_user.patient_id}


def proxy_for(patient) -> str | None:
    """The given name of the patient whose pages someone acting for them is on, so that
    the pages speak of that person ("Daan's record"); None on one's own pages and for staff.
    """
    if patient is None or not current_user.is_authenticated or current_user.is_staff:
        return None
    return patient.given_name if acting_as_proxy(patient) else None


def _note_links_at_sign_in(sender, user, **extra) -> None:
    """A patient who also acts for someone sees the bar, and its switch, from the first page."""
    if not user.is_staff and user.patient_id is not None and current_clinic().feature_on(
            "family"):
        note_links(user)


@bp.record_once
def _listen_to_sign_ins(state) -> None:
    """Sign-ins to this app only: another Flask app in the same process has other users."""
    user_logged_in.connect(_note_links_at_sign_in, sender=state.app)


def family_labels() -> dict:
    """The names of relationships, for every template."""
    return {"relationships": dict(RELATIONSHIP_CHOICES)}


@bp.get("/family")
@area_view(feature="family", audit=Action.FAMILY_VIEWED, target="family")
def index():
    """Who can act for you, whom you can act for, and how to ask or invite."""
    note_links(current_user)
    return _page()


@bp.post("/family/switch")
@area_view()
def switch():
    """Open the record of someone else you may act for (or your own), without JavaScript."""
    form = SwitchForm()
    chosen = form.patient_id.data if form.validate() else None
    if chosen is None:
        abort(400)
    if chosen == current_user.patient_id:
        session.pop(ACTING_FOR_KEY, None)
    elif any(link.patient_id == chosen for link in acts_for(current_user)):
        session[ACTING_FOR_KEY] = chosen
    else:
        # Named in the audit when such a patient exists: their "who viewed my record"
        # then shows the attempt.
        exists = db.session.get(Patient, chosen) is not None
        refuse(Permission.VIEW_RECORD, chosen if exists else None, target=f"switch:{chosen}")
    audit.record(audit.Action.PROXY_SWITCHED, patient=chosen, commit=True)
    return redirect_after_post(url_for("records.dashboard"))


@bp.post("/family/ask")
@area_view(feature="family")
def ask():
    """Ask the clinic to let you act for a child; staff check your identity first."""
    form = AskForm()
    if not form.validate():
        return _page(ask=form, status=422)
    services.ask(current_user, given_name=form.given_name.data,
                 family_name=form.family_name.data, birth_date=form.birth_date.data,
                 relationship=form.relationship.data, note=form.note.data or "",
                 document=form.document.data)
    flash(_("Your request was sent. The clinic will check your identity and let you know."),
          "success")
    return redirect_after_post(url_for("family.index"))


@bp.post("/family/invite")
@area_view(feature="family")
def invite():
    """Invite someone who has a portal account to act for you, with the rights you choose."""
    form = InviteForm()
    valid = form.validate()
    invitee = None
    if valid:
        invitee = db.session.scalar(select(User).where(
            func.lower(User.email) == form.email.data.strip().lower(), User.role == "patient"))
        if invitee is None or invitee.id == current_user.id:
            form.email.errors.append(_("No one with a portal account has this e-mail "
                                       "address. Ask them to get an account first."))
        if not form.chosen():
            form.perm_records.errors.append(_("Choose at least one thing they may do."))
    if current_user.patient_id is None or form.errors or not valid:
        return _page(invite=form, status=422)
    services.invite(current_user.patient, invitee, permissions=form.chosen(),
                    relationship=form.relationship.data, ends_on=form.ends_on.data,
                    today=clinic_today())
    return redirect_after_post(url_for("family.index"))


def _grant_or_refuse(grant_id: int, *, mine_as_patient: bool) -> ProxyGrant:
    grant = db.session.get(ProxyGrant, grant_id)
    owner_ok = grant is not None and (
        grant.patient_id == current_user.patient_id if mine_as_patient
        else grant.grantee_user_id == current_user.id)
    if not owner_ok or not ConfirmForm().validate():
        refuse(Permission.MANAGE_ACCOUNT, grant.patient_id if grant else None,
               target=f"proxy-grant:{grant_id}")
    return grant


@bp.post("/family/grants/<int:grant_id>/revoke")
@area_view()
def revoke(grant_id: int):
    """End someone's access to your record now."""
    grant = _grant_or_refuse(grant_id, mine_as_patient=True)
    services.revoke(grant, current_user._get_current_object())
    return redirect_after_post(url_for("family.index"))


@bp.post("/family/grants/<int:grant_id>/accept")
@area_view()
def accept(grant_id: int):
    """Accept an invitation to act for someone."""
    grant = _grant_or_refuse(grant_id, mine_as_patient=False)
    if grant.status != "invited":
        refuse(Permission.MANAGE_ACCOUNT, grant.patient_id, target=f"proxy-grant:{grant_id}")
    services.accept(grant, current_user._get_current_object())
    return redirect_after_post(url_for("family.index"))


from portal.family import routes_details, routes_staff, routes_staff_grants  # noqa: E402,F401
