"""Payment providers behind one small interface: bank transfer (default) and Mollie.

A provider starts an online payment (returning the address of its checkout page) and
tells the portal the state of a payment when asked. The portal never believes a state it
was sent (a webhook body, a query parameter): it always asks the provider itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app


@dataclass(frozen=True)
class ProviderPayment:
    """What the provider says about one payment."""

    provider_id: str
    status: str  # open, pending, paid, failed, canceled, expired
    amount: Decimal
    currency: str
    checkout_url: str | None = None


class ProviderError(RuntimeError):
    """The provider could not be reached or refused the request."""


class UnknownPayment(ProviderError):
    """The provider does not know this payment id."""


class BankTransferProvider:
    """Payment by bank transfer or at the desk: nothing online, a reference to quote."""

    name = "bank_transfer"
    online = False

    def create(self, **_) -> ProviderPayment:
        raise ProviderError("bank transfers are not started online")

    def fetch(self, provider_id: str) -> ProviderPayment:
        raise UnknownPayment(provider_id)


class MollieProvider:
    """Mollie (iDEAL, BLIK, Przelewy24, cards, ...) through its official Python SDK."""

    name = "mollie"
    online = True

    def __init__(self, api_key: str, api_endpoint: str = ""):
        from mollie.api.client import Client

        # retry=0: a payment request is not repeated behind the patient's back.
        self.client = Client(api_endpoint=api_endpoint, timeout=(3, 10), retry=0)
        self.client.set_api_key(api_key)

    def create(self, *, amount: Decimal, currency: str, description: str, redirect_url: str,
               webhook_url: str, locale: str, metadata: dict) -> ProviderPayment:
        """Start a payment; the patient is sent to its checkout page."""
        from mollie.api.error import Error

        try:
            payment = self.client.payments.create({
                "amount": {"currency": currency, "value": f"{amount:.2f}"},
                "description": description, "redirectUrl": redirect_url,
                "webhookUrl": webhook_url, "locale": locale, "metadata": metadata,
            })
        except Error as error:
            raise ProviderError(str(error)) from None
        return _read(payment)

    def fetch(self, provider_id: str) -> ProviderPayment:
        """The payment's state as Mollie knows it now."""
        from mollie.api.error import Error, IdentifierError, NotFoundError

        try:
            return _read(self.client.payments.get(provider_id))
        except (IdentifierError, NotFoundError):
            raise UnknownPayment(provider_id) from None
        except Error as error:
            raise ProviderError(str(error)) from None


def _read(payment) -> ProviderPayment:
    amount = payment.amount or {}
    return ProviderPayment(provider_id=payment.id, status=payment.status,
                           amount=Decimal(str(amount.get("value", "0"))),
                           currency=amount.get("currency", ""),
                           checkout_url=payment.checkout_url)


#: Locales Mollie's checkout speaks, for the portal's languages.
MOLLIE_LOCALES = {"en": "en_US", "nl": "nl_NL", "pl": "pl_PL"}


def get_provider():
    """The provider this portal is configured with (PORTAL_PAYMENT_PROVIDER)."""
    from portal.billing import standin

    config = current_app.config
    if standin.enabled():  # development only: never in production
        return standin.StandInProvider()
    if config.get("PAYMENT_PROVIDER") == "mollie" and config.get("MOLLIE_API_KEY"):
        return MollieProvider(config["MOLLIE_API_KEY"], config.get("MOLLIE_API_ENDPOINT", ""))
    return BankTransferProvider()
