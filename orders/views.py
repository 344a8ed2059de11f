"""Thin API views for orders."""

import re

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from ecommerce.api.card_numbers import card_data_refuse
from ecommerce.api.errors import ApplicationError
from ecommerce.api.exceptions import error_body
from ecommerce.api.ids import PREFIXES, uuid_from_path
from ecommerce.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageLimitPagination
from ecommerce.api.renderers import render_json
from orders import idempotency, selectors, services
from orders.models import Order
from orders.serializers import (
    OrderCreateInputSerializer,
    OrderListFilterSerializer,
    OrderOutputSerializer,
    OrderStatusInputSerializer,
)
from orders.state import OrderStatus

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 1 to 255 visible ASCII characters, spaces allowed inside (HTTP strips them
# at the ends). Plain ASCII: what a header carries intact through any proxy.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
_IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
JSON = "application/json; charset=utf-8"

_idempotency_parameter = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "1 to 255 visible ASCII characters. The same key and body within 24 hours "
        "replays the first response and creates nothing; the same key with another body is 422 "
        "idempotency_key_reused; while the first request runs, 409 "
        "idempotency_request_in_progress."
    ),
)


_ORDER_ID = OpenApiParameter(
    "order_id",
    str,
    OpenApiParameter.PATH,
    description="`ord_<32 hex digits>`. Another customer's order answers 404, like a missing one.",
)
_NOT_FOUND = OpenApiResponse(
    description="No such order, or not yours (not_found); a malformed id is 404 too."
)
# Shipping takes the shipment's fields; any other status takes none (400).
_SHIPMENT_FIELDS = {
    "carrier": {
        "type": "string",
        "maxLength": 100,
        "description": "Who carries the parcel (e.g. UPS); with status shipped only.",
    },
    "trackingNumber": {
        "type": "string",
        "maxLength": 100,
        "description": "The carrier's tracking number; with status shipped only.",
    },
}
_ORDER_STATUS_REQUEST = {
    "oneOf": [
        {
            "type": "object",
            "title": "Ship",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": [OrderStatus.SHIPPED.value]},
                **_SHIPMENT_FIELDS,
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "Another status",
            "required": ["status"],
            "properties": {
                "status": {
                    "type": "string",
                    "enum": [s for s in OrderStatus.values if s != OrderStatus.SHIPPED],
                }
            },
            "additionalProperties": False,
        },
    ]
}
# The list envelope, with ``pagination``: a raw schema, as the envelope hook
# wraps only bodies that are not enveloped yet.
_ORDER_LIST_SCHEMA = PageLimitPagination().get_paginated_response_schema(
    {"type": "array", "items": {"$ref": "#/components/schemas/OrderOutput"}}
)


def _order_output(order: Order, viewer=None) -> dict:
    """The order as the API shows it; ``viewer`` (the requester) sees the payment's
    ``nextAction`` when it is their own order. Without one (a response that is
    stored to be replayed) it is never included."""
    return OrderOutputSerializer(order, context={"viewer": viewer}).data


def _private(response: Response) -> Response:
    # Orders and payments can carry a client secret: no cache keeps them.
    response["Cache-Control"] = "no-store"
    return response


def _visible_order(request: Request, order_id: str) -> Order:
    order = selectors.order_get_visible(
        viewer=request.user, order_id=uuid_from_path(PREFIXES["order"], order_id)
    )
    if order is None:
        raise NotFound()
    return order


class OrderListCreateView(APIView):
    @extend_schema(
        tags=["orders"],
        parameters=[
            OrderListFilterSerializer,
            OpenApiParameter(
                "page", int, required=False, description="Page number, from 1 (default 1)."
            ),
            OpenApiParameter(
                "limit",
                int,
                required=False,
                description=(
                    f"Items per page (default {DEFAULT_LIMIT}); above {MAX_LIMIT} is "
                    f"clamped to {MAX_LIMIT}."
                ),
            ),
        ],
        responses={200: OpenApiResponse(_ORDER_LIST_SCHEMA)},
        operation_id="orders_list",
        summary="My orders (all orders for an admin), newest first",
        description=(
            "Paginated. `status` filters by status; `userId` (admins only) by customer. "
            "A customer's `userId` filter applies within their own orders."
        ),
    )
    def get(self, request: Request) -> Response:
        filters = OrderListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        orders = selectors.order_list(
            viewer=request.user,
            status=filters.validated_data.get("status"),
            user_id=filters.validated_data.get("userId"),
        )
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(orders, request)
        return _private(
            paginator.get_paginated_response(
                OrderOutputSerializer(page, many=True, context={"viewer": request.user}).data
            )
        )

    @extend_schema(
        tags=["orders"],
        request=OrderCreateInputSerializer,
        parameters=[_idempotency_parameter],
        responses={
            201: OrderOutputSerializer,
            409: OpenApiResponse(
                description="insufficient_stock (details.items lists requested and available) "
                "or idempotency_request_in_progress."
            ),
            422: OpenApiResponse(description="idempotency_key_reused."),
            503: OpenApiResponse(
                description="service_unavailable: the payment provider refuses us."
            ),
        },
        summary="Place an order",
        description=(
            "`paymentToken` is the provider's token: with the simulator a test token "
            "(`tok_visa`, `tok_chargeDeclined`, `tok_threeDSecure`...), with Stripe a "
            "PaymentMethod id (`pm_...`) made by Stripe.js; one the provider cannot charge "
            "is 400 on `paymentToken`. Card numbers are never accepted: a body carrying one "
            "(13 to 19 digits passing the Luhn check, in any field) is 400 validation_error."
        ),
    )
    def post(self, request: Request) -> Response | HttpResponse:
        card_data_refuse(request.data)
        body = OrderCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            order = self._create(request, body.validated_data)
            return Response(_order_output(order), status=status.HTTP_201_CREATED)

        if not _IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise ValidationError(
                {IDEMPOTENCY_HEADER: ["Must be 1 to 255 visible ASCII characters."]}
            )
        record, should_run = idempotency.idempotency_claim(
            user=request.user, key=key, fingerprint=idempotency.request_fingerprint(request.data)
        )
        if not should_run:
            return self._replay(record)
        try:
            order = self._create(request, body.validated_data, record=record)
        except ApplicationError as exc:
            # A definite answer (e.g. insufficient stock): replayed like a success.
            idempotency.idempotency_complete(
                record=record,
                status=exc.status,
                body=render_json(error_body(exc.code, exc.message, exc.details)),
            )
            raise
        except Exception:
            idempotency.idempotency_release(record=record)
            raise
        data = _order_output(order)
        idempotency.idempotency_complete(
            record=record, status=201, body=render_json({"success": True, "data": data})
        )
        return Response(data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _create(request: Request, data: dict, record=None) -> Order:
        return services.order_create(
            user=request.user,
            items=[
                services.OrderLineInput(
                    product_id=line.get("productId"),
                    variant_id=line.get("variantId"),
                    quantity=line["quantity"],
                )
                for line in data["items"]
            ],
            shipping_address=dict(data["shippingAddress"]),
            payment_method=data["paymentMethod"],
            payment_token=data.get("paymentToken") or None,
            idempotency_record=record,
        )

    @staticmethod
    def _replay(record) -> HttpResponse:
        if record.response_body is not None:
            response = HttpResponse(
                bytes(record.response_body), status=record.response_status, content_type=JSON
            )
        else:
            order = selectors.order_list(viewer=record.user).get(pk=record.order_id)
            body = render_json({"success": True, "data": _order_output(order)})
            response = HttpResponse(body, status=201, content_type=JSON)
        response["Idempotent-Replayed"] = "true"
        return response


class OrderDetailView(APIView):
    @extend_schema(
        tags=["orders"],
        parameters=[_ORDER_ID],
        responses={200: OrderOutputSerializer, 404: _NOT_FOUND},
        summary="An order (its owner or an admin)",
    )
    def get(self, request: Request, order_id: str) -> Response:
        return _private(Response(_order_output(_visible_order(request, order_id), request.user)))

    @extend_schema(
        tags=["orders"],
        parameters=[_ORDER_ID],
        # Not the "patched" (all optional) body drf-spectacular makes for PATCH:
        # the one field is required.
        request={"application/json": _ORDER_STATUS_REQUEST},
        responses={
            200: OrderOutputSerializer,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="An illegal move (conflict)."),
        },
        summary="Move an order along (admin)",
        description=(
            "Admins may set shipped, delivered or cancelled; an illegal move is 409. "
            "Shipping takes an optional `carrier` and `trackingNumber`, shown in the "
            "order's `shipment` and in the customer's e-mail."
        ),
    )
    def patch(self, request: Request, order_id: str) -> Response:
        if not IsAdminRole().has_permission(request, self):
            self.permission_denied(request, message=IsAdminRole.message)
        order = _visible_order(request, order_id)
        body = OrderStatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.order_status_set(
            order_id=order.id,
            status=body.validated_data["status"],
            carrier=body.validated_data.get("carrier", ""),
            tracking_number=body.validated_data.get("trackingNumber", ""),
        )
        return _private(Response(_order_output(_visible_order(request, order_id), request.user)))


class OrderCancelView(APIView):
    @extend_schema(
        tags=["orders"],
        parameters=[_ORDER_ID],
        request=None,
        responses={
            200: OrderOutputSerializer,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="Not pending or paid (conflict)."),
        },
        summary="Cancel an order",
        description=(
            "Owner or admin, while pending or paid: stock goes back and a captured "
            "payment is refunded. Any other status is 409 conflict."
        ),
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = _visible_order(request, order_id)
        services.order_cancel(order_id=order.id)
        return _private(Response(_order_output(_visible_order(request, order_id), request.user)))
