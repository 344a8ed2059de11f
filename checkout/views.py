"""Thin API views of the checkout: quotes, orders (placed, read, moved, cancelled), and
the pricing rules (shipping methods, tax rates, discount codes)."""

from typing import TYPE_CHECKING, cast

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from checkout import services
from checkout.models import DiscountCode, ShippingMethod, TaxRate
from checkout.pricing import shipping_methods_serving
from checkout.serializers import (
    DiscountCodeSerializer,
    OrderCreateInputSerializer,
    OrderOutputSerializer,
    QuoteInputSerializer,
    QuoteOutputSerializer,
    ShippingMethodListFilterSerializer,
    ShippingMethodSerializer,
    TaxRateSerializer,
)
from ecommerce.api.card_numbers import card_data_refuse
from ecommerce.api.ids import PREFIXES, uuid_from_path
from ecommerce.api.pagination import PAGE_LIMIT_PARAMETERS, PageLimitPagination
from orders import idempotency, selectors
from orders.models import Order
from orders.serializers import OrderListFilterSerializer, OrderStatusInputSerializer
from orders.state import OrderStatus

if TYPE_CHECKING:
    from accounts.models import User

_idempotency_parameter = OpenApiParameter(
    idempotency.IDEMPOTENCY_HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": idempotency.IDEMPOTENCY_KEY_PATTERN,
    },
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


def _line_inputs(items: list[dict]) -> list[services.OrderLineInput]:
    return [
        services.OrderLineInput(
            product_id=line.get("productId"),
            variant_id=line.get("variantId"),
            quantity=line["quantity"],
        )
        for line in items
    ]


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
        viewer=cast("User", request.user), order_id=uuid_from_path(PREFIXES["order"], order_id)
    )
    if order is None:
        raise NotFound()
    return order


class OrderListCreateView(APIView):
    @extend_schema(
        tags=["orders"],
        parameters=[
            OrderListFilterSerializer,
            *PAGE_LIMIT_PARAMETERS,
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
            viewer=cast("User", request.user),
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
            "(13 to 19 digits passing the Luhn check, in any field) is 400 validation_error. "
            "Priced as `POST /v1/checkout/quote` prices the same body: `shippingMethod` (or the "
            "cheapest method for the address), `discountCode`, tax; the payment is for `total`. "
            "An unknown or unserving method, an address no method serves, an invalid code or a "
            "basket mixing currencies is 400 naming the field; nothing is reserved or counted."
        ),
    )
    def post(self, request: Request) -> Response | HttpResponse:
        card_data_refuse(request.data)
        body = OrderCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = cast("User", request.user)
        return idempotency.idempotent_create(
            user=user,
            key=request.headers.get(idempotency.IDEMPOTENCY_HEADER),
            body=request.data,
            create=lambda record: services.order_place(
                user=user,
                items=_line_inputs(data["items"]),
                shipping_address=dict(data["shippingAddress"]),
                payment_method=data["paymentMethod"],
                payment_token=data.get("paymentToken") or None,
                shipping_method_id=data.get("shippingMethod"),
                discount_code=data.get("discountCode") or None,
                idempotency_record=record,
            ),
            output=_order_output,
        )


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


class QuoteView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["checkout"],
        request=QuoteInputSerializer,
        responses={
            200: QuoteOutputSerializer,
            400: OpenApiResponse(
                description="validation_error naming the field: a line, `shippingMethod`, "
                "`shippingAddress.country`, `discountCode`, `items` (mixed currencies)."
            ),
        },
        # Public, and a token is optional: with one, the code's per-customer
        # limit is checked for that customer.
        auth=[{"jwtAuth": []}, {}],  # type: ignore[list-item]
        summary="Price a basket: shipping, discount and tax, as an order would be charged",
        description=(
            "The same computation as `POST /v1/orders`: the same body at the same moment gives "
            "the same figures to the cent. Nothing is reserved or counted. Public; with a token "
            "the code's per-customer limit is checked for that customer."
        ),
    )
    def post(self, request: Request) -> Response:
        card_data_refuse(request.data)
        body = QuoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        address = data.get("shippingAddress")
        quote = services.checkout_quote(
            items=_line_inputs(data["items"]),
            shipping_address=dict(address) if address else None,
            shipping_method_id=data.get("shippingMethod"),
            discount_code=data.get("discountCode") or None,
            customer=request.user if request.user.is_authenticated else None,
        )
        return _private(Response(QuoteOutputSerializer(quote).data))


class ReadPublicWriteAdmin(BasePermission):
    """Anyone reads; writes are for role admin (401 anonymous, 403 customer)."""

    def has_permission(self, request: Request, view) -> bool:
        return request.method in SAFE_METHODS or IsAdminRole().has_permission(request, view)


def _admin_only(view: APIView, request: Request) -> None:
    if not IsAdminRole().has_permission(request, view):
        view.permission_denied(request, message=IsAdminRole.message)


def _rule_views(
    *,
    serializer,
    prefix: str,
    tag: str,
    noun: str,
    save,
    list_queryset,
    parameter: str,
    public_list: bool = False,
):
    """The list/create and detail/update/delete views of one kind of pricing rule."""
    id_parameter = OpenApiParameter(
        parameter, str, OpenApiParameter.PATH, description=f"`{prefix}_<32 hex digits>`."
    )
    not_found = OpenApiResponse(description=f"No such {noun} (not_found).")
    duplicate = OpenApiResponse(
        description="conflict: one like it exists (a code in any case; a tax rate for the "
        "same country, state and category)."
    )

    def find(rule_id: str):
        rule = (
            list_queryset(include_inactive=True).filter(pk=uuid_from_path(prefix, rule_id)).first()
        )
        if rule is None:
            raise NotFound()
        return rule

    class ListView(APIView):
        permission_classes = [ReadPublicWriteAdmin] if public_list else [IsAdminRole]

        def get(self, request: Request) -> Response:
            return Response(serializer(self.rules(request), many=True).data)

        def rules(self, request: Request):
            return list_queryset(include_inactive=True)

        @extend_schema(
            tags=[tag],
            request=serializer,
            responses={
                201: serializer,
                400: OpenApiResponse(description="validation_error."),
                409: duplicate,
            },
            summary=f"Create a {noun} (admin)",
        )
        def post(self, request: Request) -> Response:
            body = serializer(data=request.data)
            body.is_valid(raise_exception=True)
            rule = save(instance=None, **body.validated_data)
            return Response(serializer(find(f"{prefix}_{rule.pk.hex}")).data, status=201)

    class DetailView(APIView):
        permission_classes = [IsAdminRole]

        @extend_schema(
            tags=[tag],
            parameters=[id_parameter],
            responses={200: serializer, 404: not_found},
            summary=f"One {noun} (admin)",
        )
        def get(self, request: Request, **path) -> Response:
            return Response(serializer(find(path[parameter])).data)

        @extend_schema(
            tags=[tag],
            parameters=[id_parameter],
            request=serializer(partial=True),
            responses={
                200: serializer,
                400: OpenApiResponse(description="validation_error."),
                404: not_found,
                409: duplicate,
            },
            summary=f"Change a {noun} (admin)",
        )
        def patch(self, request: Request, **path) -> Response:
            rule = find(path[parameter])
            body = serializer(rule, data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            save(instance=rule, **body.validated_data)
            return Response(serializer(find(path[parameter])).data)

        @extend_schema(
            tags=[tag],
            parameters=[id_parameter],
            responses={204: None, 404: not_found, 409: OpenApiResponse(description="conflict.")},
            summary=f"Delete a {noun} (admin)",
        )
        def delete(self, request: Request, **path) -> Response:
            services.pricing_rule_delete(rule=find(path[parameter]))
            return Response(status=status.HTTP_204_NO_CONTENT)

    return ListView, DetailView


def _shipping_methods(*, include_inactive: bool = False):
    methods = ShippingMethod.objects.all()
    return methods if include_inactive else methods.filter(active=True)


def _tax_rates(*, include_inactive: bool = False):
    return TaxRate.objects.select_related("category")


def _discount_codes(*, include_inactive: bool = False):
    return DiscountCode.objects.prefetch_related("categories")


_ShippingListBase, ShippingMethodDetailView = _rule_views(
    serializer=ShippingMethodSerializer,
    prefix=PREFIXES["shipping_method"],
    tag="checkout",
    noun="shipping method",
    save=services.shipping_method_save,
    list_queryset=_shipping_methods,
    parameter="method_id",
    public_list=True,
)
_TaxListBase, TaxRateDetailView = _rule_views(
    serializer=TaxRateSerializer,
    prefix=PREFIXES["tax_rate"],
    tag="checkout",
    noun="tax rate",
    save=services.tax_rate_save,
    list_queryset=_tax_rates,
    parameter="rate_id",
)
_CodeListBase, DiscountCodeDetailView = _rule_views(
    serializer=DiscountCodeSerializer,
    prefix=PREFIXES["discount_code"],
    tag="checkout",
    noun="discount code",
    save=services.discount_code_save,
    list_queryset=_discount_codes,
    parameter="code_id",
)


class ShippingMethodListView(_ShippingListBase):  # type: ignore[valid-type, misc]
    @extend_schema(
        tags=["checkout"],
        parameters=[ShippingMethodListFilterSerializer],
        responses={200: ShippingMethodSerializer(many=True)},
        auth=[],
        operation_id="shipping_methods_list",
        summary="Shipping methods that ship to an address (public)",
        description=(
            "With `country` (and `state`), the active methods that ship there, cheapest first; "
            "`price` is the method's price for an empty basket. An admin sees every method, "
            "inactive ones too, and may filter them the same way."
        ),
    )
    def get(self, request: Request) -> Response:
        filters = ShippingMethodListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        admin = IsAdminRole().has_permission(request, self)
        country = filters.validated_data.get("country")
        if country:
            methods = shipping_methods_serving(
                country=country,
                state=filters.validated_data.get("state", ""),
                include_inactive=admin,
            )
        else:
            methods = list(_shipping_methods(include_inactive=admin))
        methods.sort(key=lambda m: (m.price, m.max_days, m.name, m.pk))
        return Response(ShippingMethodSerializer(methods, many=True).data)


class TaxRateListView(_TaxListBase):  # type: ignore[valid-type, misc]
    @extend_schema(
        tags=["checkout"],
        responses={200: TaxRateSerializer(many=True)},
        operation_id="tax_rates_list",
        summary="Every tax rate (admin)",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class DiscountCodeListView(_CodeListBase):  # type: ignore[valid-type, misc]
    @extend_schema(
        tags=["checkout"],
        responses={200: DiscountCodeSerializer(many=True)},
        operation_id="discount_codes_list",
        summary="Every discount code, with its uses (admin)",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)
