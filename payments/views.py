"""Thin API views for payments."""

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from ecommerce.api.ids import PREFIXES, uuid_from_path
from ecommerce.ratelimit.throttling import WebhookRateThrottle
from payments import selectors, services, stripe_webhook
from payments.serializers import PaymentOutputSerializer, RefundInputSerializer

if TYPE_CHECKING:
    from accounts.models import User

SIGNATURE_HEADER = "X-Signature"

_PAYMENT_ID = OpenApiParameter(
    "payment_id",
    str,
    OpenApiParameter.PATH,
    description="`pay_<32 hex digits>`.",
)
_NOT_FOUND = OpenApiResponse(
    description="No such payment, or of another customer's order (not_found)."
)


_EVENT_TEXT = {"type": "string", "minLength": 1, "maxLength": 255}
# What payments.services.webhook_handle reads; anything else is kept as sent.
# NUL is refused anywhere in the event (PostgreSQL jsonb cannot hold it).
_WEBHOOK_EVENT = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": {**_EVENT_TEXT, "description": "The provider's event id; a replay changes nothing."},
        "type": {
            **_EVENT_TEXT,
            "description": "`charge.succeeded` and `charge.failed` act on "
            "`data.paymentId`; other types are recorded only.",
        },
        "data": {
            "description": "An object with `paymentId` (`pay_...`), `reference` and "
            "`code`; any other value is ignored."
        },
    },
    "additionalProperties": True,
}


def _visible_payment(request: Request, payment_id: str):
    payment = selectors.payment_get_visible(
        viewer=cast("User", request.user),
        payment_id=uuid_from_path(PREFIXES["payment"], payment_id),
    )
    if payment is None:
        raise NotFound()
    return payment


class PaymentDetailView(APIView):
    @extend_schema(
        tags=["payments"],
        parameters=[_PAYMENT_ID],
        responses={200: PaymentOutputSerializer, 404: _NOT_FOUND},
        summary="A payment (owner of the order or an admin)",
    )
    def get(self, request: Request, payment_id: str) -> Response:
        payment = _visible_payment(request, payment_id)
        response = Response(PaymentOutputSerializer(payment, context={"viewer": request.user}).data)
        # It can carry the client secret: no cache keeps it.
        response["Cache-Control"] = "no-store"
        return response


class PaymentRefundView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["payments"],
        parameters=[_PAYMENT_ID],
        request=RefundInputSerializer,
        responses={
            201: PaymentOutputSerializer,
            404: _NOT_FOUND,
            402: OpenApiResponse(description="payment_failed: the provider refused the refund."),
            409: OpenApiResponse(description="conflict: more than captured, or not captured."),
        },
        summary="Refund a payment (admin), fully or partly",
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = _visible_payment(request, payment_id)
        body = RefundInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.refund_create(
            payment_id=payment.id,
            amount=body.validated_data.get("amount"),
            reason=body.validated_data["reason"],
            actor=cast("User", request.user),
        )
        payment = _visible_payment(request, payment_id)
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentWebhookView(APIView):
    """Provider callbacks: authenticated by signature, not by a user token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Its own limit, per client IP, counted before the signature is checked:
    # the provider's retries must not spend RATE_LIMIT, and nobody else may
    # make the server check signatures without limit.
    throttle_classes = [WebhookRateThrottle]

    @extend_schema(
        tags=["payments"],
        request={"application/json": _WEBHOOK_EVENT},
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="\"t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>\" "
                "with PAYMENT_WEBHOOK_SECRET.",
            )
        ],
        responses={
            200: {
                "type": "object",
                "properties": {
                    "received": {"type": "boolean"},
                    "applied": {"type": "boolean", "description": "false for a replayed event"},
                },
            },
            400: OpenApiResponse(description="invalid_signature or validation_error."),
        },
        auth=[],
        summary="Payment provider webhook",
    )
    def post(self, request: Request) -> Response:
        # The signature covers the raw bytes: read them before any parsing.
        body = request._request.body
        applied = services.webhook_handle(
            body=body, signature=request.headers.get(SIGNATURE_HEADER, "")
        )
        return Response({"received": True, "applied": applied})


_STRIPE_EVENT = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": {
            **_EVENT_TEXT,
            "description": "Stripe's event id (`evt_...`); a replay changes nothing.",
        },
        "type": {
            **_EVENT_TEXT,
            "description": "`payment_intent.succeeded`, `payment_intent.payment_failed`, "
            "`payment_intent.canceled`, `charge.refunded` and `charge.dispute.created` act; "
            "other types are recorded only.",
        },
        "data": {
            "type": "object",
            "description": "`object`: the PaymentIntent, Charge or Dispute the event is about.",
        },
    },
    "additionalProperties": True,
}


class StripeWebhookView(APIView):
    """Stripe's events: authenticated by Stripe's signature, not by a user token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["payments"],
        request={"application/json": _STRIPE_EVENT},
        parameters=[
            OpenApiParameter(
                stripe_webhook.SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's `t=<unix time>,v1=<signature>` over the raw body with "
                "STRIPE_WEBHOOK_SECRET, checked by the official library within "
                "PAYMENT_WEBHOOK_TOLERANCE seconds.",
            )
        ],
        responses={
            200: {
                "type": "object",
                "properties": {
                    "received": {"type": "boolean"},
                    "applied": {"type": "boolean", "description": "false for a replayed event"},
                },
            },
            400: OpenApiResponse(description="invalid_signature or validation_error."),
            404: OpenApiResponse(description="not_found: a PaymentIntent this shop does not know."),
            503: OpenApiResponse(description="service_unavailable: Stripe could not be asked."),
        },
        auth=[],
        summary="Stripe webhook",
    )
    def post(self, request: Request) -> Response:
        # The signature covers the raw bytes: read them before any parsing.
        applied = stripe_webhook.stripe_webhook_handle(
            body=request._request.body,
            signature=request.headers.get(stripe_webhook.SIGNATURE_HEADER, ""),
        )
        return Response({"received": True, "applied": applied})
