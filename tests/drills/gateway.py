"""The providers of the worker drills: the simulator and Stripe, stalling on a first charge.

Named by ``PAYMENT_GATEWAY`` in the rqworker processes the drill starts. It is
``SimulatedGateway`` itself (a subclass), with its ledger and its idempotency:
what the drill proves about one capture holds for the simulator. Only the
latency differs: ``PAYMENT_SIMULATOR_DELAY_MS`` is spent once per idempotency
key, on the first call, at the point ``DRILL_GATEWAY_HANG`` names:

- ``request``: before the provider records anything (the request is in flight);
- ``response``: after it captured (the answer is in flight).

Entering the stall writes a marker file named after the key in
``DRILL_GATEWAY_DIR`` holding the pid of the process inside the call: the
drill waits for it instead of guessing a time, and the retry that finds it
goes through at once.
"""

import dataclasses
import os
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from payments.gateway import ChargeContext, ChargeResult, SimulatedGateway
from payments.stripe_gateway import StripeGateway


class FirstCallStallsGateway(SimulatedGateway):
    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        context: ChargeContext | None = None,
    ) -> ChargeResult:
        marker = Path(os.environ["DRILL_GATEWAY_DIR"]) / idempotency_key
        first_call = not marker.exists()
        stall_at = os.environ.get("DRILL_GATEWAY_HANG", "request")
        if first_call and stall_at == "request":
            self._stall(marker)
        result = super().charge(
            amount=amount,
            currency=currency,
            token=token,
            idempotency_key=idempotency_key,
            context=context,
        )
        if first_call and stall_at == "response":
            self._stall(marker)
        return result

    def _delay(self) -> None:  # type: ignore[override]
        """The simulator's latency is spent in ``_stall``, on the first call only."""

    @staticmethod
    def _stall(marker: Path) -> None:
        # Renamed into place: the drill never reads a half-written pid.
        pending = marker.with_name(f"{marker.name}.pending")
        pending.write_text(str(os.getpid()))
        pending.rename(marker)
        time.sleep(settings.PAYMENT_SIMULATOR_DELAY_MS / 1000)


class FirstCallStallsStripeGateway(StripeGateway):
    """The Stripe gateway (against localstripe), stalling once per charge as above:

    - ``request``: the PaymentIntent is made and stored on the payment, its
      confirmation not yet sent (the request is about to be in flight);
    - ``response``: Stripe confirmed and charged; the answer has not reached
      the application.
    """

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        context: ChargeContext | None = None,
    ) -> ChargeResult:
        marker = Path(os.environ["DRILL_GATEWAY_DIR"]) / idempotency_key
        first_call = not marker.exists()
        stall_at = os.environ.get("DRILL_GATEWAY_HANG", "request")
        if first_call and stall_at == "request" and context is not None:
            record = context.reference_record

            def record_then_stall(reference: str) -> None:
                if record is not None:
                    record(reference)
                FirstCallStallsGateway._stall(marker)

            context = dataclasses.replace(context, reference_record=record_then_stall)
        result = super().charge(
            amount=amount,
            currency=currency,
            token=token,
            idempotency_key=idempotency_key,
            context=context,
        )
        if first_call and stall_at == "response":
            FirstCallStallsGateway._stall(marker)
        return result
