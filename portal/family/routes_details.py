"""Managing the account details of someone you act for: their phone number and address.

The grant's "Manage account details" permission allows it; the gate (`patient_for`)
decides. A person's own details stay on their own account pages.
"""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission
from portal.account import services as account_services
from portal.account.forms import ContactForm
from portal.audit import Action
from portal.family import bp
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render


@bp.route("/family/<int:patient_id>/details", methods=["GET", "POST"])
@area_view(feature="family", permission=Permission.MANAGE_ACCOUNT, audit=Action.FAMILY_VIEWED,
           target="details")
def details(patient):
    """See and change the phone number and address of someone you act for."""
    if patient.id == current_user.patient_id:
        return redirect(url_for("account.contact"), 303)
    form = ContactForm(data=account_services.contact_details(patient), country=patient.country)
    if form.validate_on_submit():
        changed = account_services.update_contact_details(patient, form.data)
        flash(_("The contact details of %(name)s are saved.", name=patient.full_name)
              if changed else _("Nothing was changed."), "success")
        return redirect_after_post(url_for("family.details", patient_id=patient.id))
    return render("family/details.html", status=422 if form.errors else 200, patient=patient,
                  form=form)
