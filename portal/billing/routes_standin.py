"""The checkout page of the development stand-in for the payment provider (standin.py)."""

from flask import abort, redirect, request

from portal.billing import bp, payments, standin
from portal.rendering import render


def _open_payment(provider_id: str) -> dict:
    """The stand-in's open payment, or 404 (always 404 outside development)."""
    found = standin.payment(provider_id) if standin.enabled() else None
    if found is None:
        abort(404)
    return found


@bp.get("/dev/checkout/<provider_id>")
def standin_checkout(provider_id: str):
    """What the provider's checkout shows: the amount, and pay, fail or cancel."""
    return render("billing/standin_checkout.html", provider_id=provider_id,
                  found=_open_payment(provider_id))


@bp.post("/dev/checkout/<provider_id>")
def standin_finish(provider_id: str):
    """Pay, fail or cancel; tell the portal (as the provider's webhook would); go back."""
    _open_payment(provider_id)
    outcome = request.form.get("outcome")
    if outcome not in standin.OUTCOMES:
        abort(400)
    back = standin.finish(provider_id, outcome)
    found = payments.payment_by_provider_id(provider_id)
    if found is not None:
        payments.sync_payment(found)
    return redirect(back, 303)
