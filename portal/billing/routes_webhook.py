"""The provider's webhook: it says only "payment tr_... changed"; the portal asks why.

Mollie posts the payment id and nothing else. The portal fetches the payment from Mollie
(that fetch is the verification: a forged call can only make the portal ask), applies
the state once, and answers 200 with an empty body whatever it found, so the answer
reveals nothing. A POST without an id is no provider's call and gets 400, like any other
POST without a CSRF token. Only when Mollie cannot be reached is the answer 503, so that Mollie
calls again later.
"""

from flask import current_app, request

from portal.billing import bp, payments
from portal.billing.providers import ProviderError
from portal.extensions import csrf, limiter


def _webhook_limit() -> str:
    return current_app.config["WEBHOOK_RATE_LIMIT"]


@bp.post("/billing/webhook")
@csrf.exempt
@limiter.limit(_webhook_limit)
def webhook():
    """Apply what the provider says about one of our payments; 200 for anything else."""
    provider_id = (request.form.get("id") or "").strip()[:64]
    if not provider_id:  # not a provider's call at all: refused like any tokenless POST
        return "", 400
    payment = payments.payment_by_provider_id(provider_id)
    if payment is not None:
        try:
            payments.sync_payment(payment)
        except ProviderError:
            current_app.logger.warning("webhook for payment %s: provider unreachable",
                                       payment.id)
            return "", 503
    return "", 200
