"""PAYMENT_GATEWAY: short names or a dotted path; Stripe refuses to start without a key."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from payments.gateway import SimulatedGateway, gateway_class_resolve, get_gateway
from payments.stripe_gateway import StripeGateway

REPO = Path(__file__).resolve().parents[2]
STRIPE_VARIABLES = ("PAYMENT_GATEWAY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def manage_check(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in STRIPE_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={**base, "DJANGO_SETTINGS_MODULE": "ecommerce.settings", **env},
    )


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("simulated", SimulatedGateway),
        ("stripe", StripeGateway),
        ("payments.gateway.SimulatedGateway", SimulatedGateway),
        ("payments.stripe_gateway.StripeGateway", StripeGateway),
    ],
)
def test_short_names_and_dotted_paths_are_accepted(name, cls):
    assert gateway_class_resolve(name) is cls


def test_the_default_is_the_simulator(settings):
    assert settings.PAYMENT_GATEWAY == "simulated"
    assert isinstance(get_gateway(), SimulatedGateway)


def test_changing_the_setting_changes_the_gateway(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_abc"
    assert get_gateway().name == "stripe"
    settings.PAYMENT_GATEWAY = "simulated"
    assert get_gateway().name == "simulated"


def test_an_unknown_name_is_refused():
    accepted = "is not a known short name; accepted: simulated, stripe or"
    with pytest.raises(ImproperlyConfigured, match=accepted):
        gateway_class_resolve("paypal")


def test_stripe_without_a_key_refuses_to_start():
    result = manage_check(PAYMENT_GATEWAY="stripe")

    assert result.returncode == 2, result.stderr
    assert "STRIPE_SECRET_KEY is not set" in result.stderr


def test_stripe_with_a_publishable_key_refuses_to_start_without_printing_it():
    key = "pk_test_publishable_0123456789"
    result = manage_check(PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY=key)

    assert result.returncode == 2, result.stderr
    assert "publishable key" in result.stderr
    assert key not in result.stderr + result.stdout


def test_an_unknown_gateway_refuses_to_start():
    result = manage_check(PAYMENT_GATEWAY="payments.nowhere.Gateway")

    assert result.returncode == 2, result.stderr
    assert 'PAYMENT_GATEWAY: "payments.nowhere.Gateway" cannot be imported' in result.stderr


@pytest.mark.parametrize("name", ["stripe", "payments.stripe_gateway.StripeGateway"])
def test_stripe_with_a_secret_key_starts(name):
    result = manage_check(PAYMENT_GATEWAY=name, STRIPE_SECRET_KEY="sk_test_0123456789abcdef")

    assert result.returncode == 0, result.stderr
    assert "sk_test_0123456789abcdef" not in result.stderr + result.stdout
