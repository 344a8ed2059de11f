"""The provider of the worker drill: the simulator, stalling on the first call of a charge.

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

import os
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from payments.gateway import ChargeContext, ChargeResult, SimulatedGateway


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

    def _delay(self) -> None:
        """The simulator's latency is spent in ``_stall``, on the first call only."""

    @staticmethod
    def _stall(marker: Path) -> None:
        # Renamed into place: the drill never reads a half-written pid.
        pending = marker.with_name(f"{marker.name}.pending")
        pending.write_text(str(os.getpid()))
        pending.rename(marker)
        time.sleep(settings.PAYMENT_SIMULATOR_DELAY_MS / 1000)
