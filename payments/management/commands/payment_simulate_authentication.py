"""Finish a simulated 3-D Secure payment, as the customer and the provider would.

With the simulated gateway, ``paymentToken: "tok_threeDSecure"`` leaves the
payment ``requires_action``. In a real shop the customer authenticates with
the bank in the frontend and the provider sends its webhook; here this
command does both: it settles the simulator's ledger entry (authenticated, or
refused with ``--fail``) and POSTs the signed ``charge.succeeded`` or
``charge.failed`` event to the running server's webhook, so the whole flow
shows in `make run` without a provider.
"""

import time
import urllib.error
import urllib.request
import uuid

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ecommerce.api.ids import PREFIXES, parse_public_id, public_id
from payments.gateway import SimulatedGateway, get_gateway, webhook_signature
from payments.models import Payment, SimulatedCharge
from payments.state import PaymentStatus


class Command(BaseCommand):
    help = "Authenticate (or, with --fail, refuse) a simulated requires_action payment."

    def add_arguments(self, parser) -> None:
        parser.add_argument("payment", help="The payment id, pay_<32 hex digits>.")
        parser.add_argument(
            "--fail", action="store_true", help="The customer fails authentication."
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/v1/payments/webhook",
            help="The server's webhook (default: make run's).",
        )

    def handle(self, *args, **options) -> None:
        if not isinstance(get_gateway(), SimulatedGateway):
            raise CommandError("PAYMENT_GATEWAY is not the simulator.")
        if not settings.PAYMENT_WEBHOOK_SECRET:
            raise CommandError("PAYMENT_WEBHOOK_SECRET is not set: the webhook would refuse it.")
        payment_id = parse_public_id(PREFIXES["payment"], options["payment"])
        payment = Payment.objects.filter(pk=payment_id).first() if payment_id else None
        if payment is None or payment.status != PaymentStatus.REQUIRES_ACTION:
            raise CommandError("No payment with that id awaits authentication.")
        if not options["url"].startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL.")
        failed = options["fail"]
        SimulatedCharge.objects.filter(
            kind="charge", reference=payment.provider_reference, outcome="requires_action"
        ).update(outcome="declined" if failed else "succeeded")
        body = orjson.dumps(
            {
                "id": f"evt_sim_{uuid.uuid4().hex}",
                "type": "charge.failed" if failed else "charge.succeeded",
                "data": {
                    "paymentId": public_id(PREFIXES["payment"], payment.id),
                    "reference": payment.provider_reference,
                    "code": "authentication_failed",
                },
            }
        )
        request = urllib.request.Request(  # noqa: S310 - an operator-given http(s) URL
            options["url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Signature": webhook_signature(
                    settings.PAYMENT_WEBHOOK_SECRET, int(time.time()), body
                ),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise CommandError(f"The webhook answered {exc.code}: {exc.read().decode()}") from exc
        except OSError as exc:
            raise CommandError(f"Could not reach {options['url']}: {exc}") from exc
        self.stdout.write(answer)
