"""The account pages: the overview, contact details, language and notifications."""

from flask import abort, flash, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, patient_for
from portal.account import bp, services, services_security
from portal.account.forms import ContactForm, LanguageForm, NotificationsForm
from portal.audit import Action
from portal.i18n import locale_str, set_lang_cookie
from portal.pipeline import ANYONE, area_view, shown
from portal.rendering import redirect_after_post, render


def own_patient():
    """The signed-in person's own patient record through the access gate; None without one.

    Staff (and anyone else without a record of their own) have none. The record is
    always the person's own, also while they act for someone else elsewhere in the portal.
    """
    if current_user.patient_id is None:
        return None
    patient = patient_for(Permission.MANAGE_ACCOUNT, current_user.patient_id)
    shown([patient])
    return patient


@bp.get("/")
@area_view(side=ANYONE, audit=Action.CONTACT_DETAILS_VIEWED, target="account")
def profile():
    """The overview of the account: each group of settings with a link to change it."""
    return render("account/profile.html", user=current_user, patient=own_patient(),
                  activity=services.recent_activity(current_user),
                  emails_on=len(services.notifications_on(current_user)),
                  second_factor=services_security.second_factor_name(current_user.second_factor))


@bp.route("/contact", methods=["GET", "POST"])
@area_view(side=ANYONE, audit=Action.CONTACT_DETAILS_VIEWED, target="contact")
def contact():
    """See the e-mail address; patients also change their phone number and postal address."""
    patient = own_patient()
    if patient is None and request.method == "POST":
        abort(404)  # staff have no patient record, so nothing here to change
    form = None
    if patient is not None:
        form = ContactForm(data=services.contact_details(patient), country=patient.country)
        if form.validate_on_submit():
            changed = services.update_contact_details(patient, form.data)
            flash(_("Your contact details are saved.") if changed
                  else _("Nothing was changed."), "success")
            return redirect_after_post(url_for("account.contact"))
    return render("account/contact.html", "content", status=422 if form and form.errors else 200,
                  user=current_user, patient=patient, form=form, links=services.email_links())


@bp.route("/language", methods=["GET", "POST"])
@area_view(side=ANYONE)
def language():
    """Choose the language of the portal's pages and e-mails."""
    form = LanguageForm(data={"locale": current_user.locale or locale_str()})
    if form.validate_on_submit():
        code = form.locale.data
        services.set_language(current_user, code)
        with force_locale(code):
            flash(_("The portal now uses this language, for pages and for e-mails."), "success")
        return set_lang_cookie(redirect_after_post(url_for("account.language")), code)
    return render("account/language.html", "content", status=422 if form.errors else 200,
                  form=form)


@bp.route("/notifications", methods=["GET", "POST"])
@area_view(side=ANYONE)
def notifications():
    """Choose which e-mails say that something new is waiting in the portal."""
    kinds = services.notification_kinds()
    form = NotificationsForm(data=services.notification_choices(current_user))
    for name in set(services.NOTIFICATION_KINDS) - set(kinds):
        del form[name]
    if form.validate_on_submit():
        services.set_notifications(current_user, {kind: form[kind].data for kind in kinds})
        flash(_("Your e-mail choices are saved."), "success")
        return redirect_after_post(url_for("account.notifications"))
    return render("account/notifications.html", "content", status=422 if form.errors else 200,
                  form=form, fields=[form[kind] for kind in kinds])
