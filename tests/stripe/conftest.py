"""Fixtures of the Stripe tests: the gateway pointed at localstripe, live servers, cards.

Everything goes over HTTP to localstripe (``tests.drills.support.LocalStripe``)
through the official library; nothing is patched. Cards are made the way
Stripe.js makes them in a customer's browser (a PaymentMethod from the card
number), and only their ``pm_...`` id reaches the shop.
"""

from collections.abc import Callable, Iterator

import pytest

from tests.drills.conftest import api_server, rq_worker, stocked_product  # noqa: F401
from tests.drills.support import LocalStripe

STRIPE_TEST_KEY = "sk_test_localstripe_suite_0123456789"
WEBHOOK_SECRET = "whsec_localstripe_suite_0123456789"

# Stripe's documented test cards (https://docs.stripe.com/testing), as localstripe knows them.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_THREE_D_SECURE = "4000002500003155"
CARD_THREE_D_SECURE_THEN_DECLINED = "4000008400001629"


@pytest.fixture
def stripe_gateway(settings, localstripe: LocalStripe) -> LocalStripe:
    """PAYMENT_GATEWAY=stripe in this process, against an empty localstripe."""
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = STRIPE_TEST_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    return localstripe


@pytest.fixture
def stripe_env(stripe_gateway: LocalStripe) -> dict[str, str]:
    """The same configuration, for a gunicorn or rqworker the test starts."""
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": STRIPE_TEST_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_gateway.url,
    }


@pytest.fixture
def card(stripe_gateway: LocalStripe) -> Callable[[str], str]:
    """``card(number)``: a PaymentMethod id, as Stripe.js makes it in the browser."""
    return stripe_gateway.payment_method


@pytest.fixture
def stripe_webhooks(stripe_gateway: LocalStripe) -> Iterator[Callable[[int], None]]:
    """``deliver_to(port)``: localstripe sends its events to that server's Stripe webhook.

    Registered through localstripe's config route; pointed at a closed port
    afterwards, so a later test's server never receives this test's events.
    """

    def deliver_to(port: int) -> None:
        stripe_gateway.webhook_register(
            "suite", f"http://127.0.0.1:{port}/v1/payments/webhook/stripe", WEBHOOK_SECRET
        )

    try:
        yield deliver_to
    finally:
        stripe_gateway.webhook_register("suite", "http://127.0.0.1:9/closed", WEBHOOK_SECRET)
