"""A local stand-in for the online payment provider, so a clinic trying the portal in
development can walk online payment end to end without an account at Mollie.

On only with PORTAL_ENV=development and PORTAL_PAYMENT_PROVIDER=standin; in any other
environment `get_provider` never returns it and its checkout page answers 404, so it can
never take the place of a real provider. Like the real one it keeps the payments' states
itself (in this process: the development server is one process) and the portal asks it,
never believing a state it was sent.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask import current_app, url_for

from portal.billing.providers import ProviderPayment, UnknownPayment

#: The outcomes the stand-in's checkout page offers, as the provider's states.
OUTCOMES = ("paid", "failed", "canceled")


def enabled() -> bool:
    """Whether this portal uses the stand-in: development only, and only when asked for."""
    config = current_app.config
    return config.get("ENV_NAME") == "development" and config.get("PAYMENT_PROVIDER") == "standin"


def _payments() -> dict[str, dict]:
    return current_app.extensions.setdefault("payment_standin", {})


class StandInProvider:
    """The provider interface of providers.py, answered from memory."""

    name = "standin"
    online = True

    def create(self, *, amount: Decimal, currency: str, description: str, redirect_url: str,
               webhook_url: str, locale: str, metadata: dict) -> ProviderPayment:
        """Start a payment; its checkout page is the stand-in's own."""
        provider_id = f"tr_dev{secrets.token_hex(8)}"
        _payments()[provider_id] = {"status": "open", "amount": amount, "currency": currency,
                                    "description": description, "redirect_url": redirect_url}
        return ProviderPayment(provider_id, "open", amount, currency,
                               checkout_url=url_for("billing.standin_checkout",
                                                    provider_id=provider_id))

    def fetch(self, provider_id: str) -> ProviderPayment:
        """The payment's state as the stand-in's checkout left it."""
        found = _payments().get(provider_id)
        if found is None:
            raise UnknownPayment(provider_id)
        return ProviderPayment(provider_id, found["status"], found["amount"], found["currency"])


def payment(provider_id: str) -> dict | None:
    """A payment the stand-in started and has not yet finished, or None."""
    found = _payments().get(provider_id)
    return found if found is not None and found["status"] == "open" else None


def finish(provider_id: str, outcome: str) -> str:
    """Play what the customer did at checkout; returns where the provider sends them back."""
    found = _payments()[provider_id]
    found["status"] = outcome
    return found["redirect_url"]
