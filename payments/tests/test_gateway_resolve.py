"""PAYMENT_GATEWAY: a short name or a dotted path, resolved at start-up and by a check."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from payments import checks, gateway
from payments.gateway import PAYMENT_GATEWAY_ALIASES, SimulatedGateway, gateway_class_resolve


@pytest.mark.parametrize("name", ["simulated", "Simulated", " SIMULATED "])
def test_a_short_name_resolves_in_any_case(name):
    assert gateway_class_resolve(name) is SimulatedGateway


def test_a_dotted_path_still_resolves():
    assert gateway_class_resolve("payments.gateway.SimulatedGateway") is SimulatedGateway


def test_every_alias_names_a_gateway_class():
    for name in PAYMENT_GATEWAY_ALIASES:
        resolved = gateway_class_resolve(name)
        assert callable(resolved.charge) and callable(resolved.refund)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("payments.gateway.Nope", '"payments.gateway.Nope" cannot be imported'),
        ("no_such_package.Gateway", '"no_such_package.Gateway" cannot be imported'),
        ("stripe-ish", '"stripe-ish" is not a known short name'),
        ("payments.gateway.TOKEN_SUCCEEDS", "is not a class with charge() and refund()"),
        ("payments.models.Payment", "is not a class with charge() and refund()"),
    ],
)
def test_anything_else_says_what_is_wrong_and_what_is_accepted(name, problem):
    with pytest.raises(ImproperlyConfigured) as refused:
        gateway_class_resolve(name)
    assert problem in str(refused.value)
    assert str(refused.value).endswith(
        "accepted: simulated, stripe or the dotted path of a payment gateway class"
    )


def test_the_default_is_the_simulator(settings):
    assert settings.PAYMENT_GATEWAY == "simulated"
    gateway.get_gateway.cache_clear()
    try:
        assert isinstance(gateway.get_gateway(), SimulatedGateway)
    finally:
        gateway.get_gateway.cache_clear()


def test_the_system_check_reports_a_gateway_that_does_not_resolve(settings):
    settings.PAYMENT_GATEWAY = "payments.gateway.Nope"

    errors = checks.check_payment_gateway()

    assert [error.id for error in errors] == ["payments.E001"]
    assert errors[0].msg.startswith('PAYMENT_GATEWAY: "payments.gateway.Nope" cannot be imported')


def test_the_system_check_passes_the_configured_gateway():
    assert checks.check_payment_gateway() == []


def test_the_check_runs_with_every_system_check():
    from django.core import checks as django_checks

    assert checks.check_payment_gateway in django_checks.registry.registry.get_checks()
