"""The simulated provider keeps its own ledger: one entry per idempotency key."""

from decimal import Decimal

import pytest

from payments.gateway import SimulatedGateway
from payments.models import SimulatedCharge

pytestmark = pytest.mark.django_db


def test_a_repeated_key_replays_the_first_capture_and_is_counted():
    gateway = SimulatedGateway()
    charge = {"amount": Decimal("25.00"), "currency": "USD", "token": "tok_visa"}

    first = gateway.charge(**charge, idempotency_key="charge-1")
    again = gateway.charge(**charge, idempotency_key="charge-1")

    assert again.reference == first.reference
    entry = SimulatedCharge.objects.get()
    assert (entry.kind, entry.amount, entry.attempts) == ("charge", Decimal("25.00"), 2)
