"""API3 broken object property-level authorization.

Mass assignment: every field a caller may not set (role for a customer,
is_staff, ids, timestamps, prices, stock, statuses, payment amounts) is
refused with 400 validation_error naming it, and nothing changes; the
contract allows no silent ignore. Exposure: a walk of every /v1 route as
anonymous, customer and admin finds no secret in any response.
"""

import json
import re
import time
from decimal import Decimal
from typing import Any

import pytest
import stripe
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import TokenFamily, User
from accounts.tokens import token_pair_issue
from catalog.models import Product
from orders.models import Order
from payments.gateway import webhook_signature
from payments.models import Payment
from tests.security.conftest import (
    MISSING_IDS,
    MULTIPART_ROUTES,
    multipart_body,
    order_body,
    route_path,
)
from tests.security.routes import api_routes

pytestmark = pytest.mark.django_db


def _names(details: Any, field: str) -> bool:
    """Whether ``field`` is a key anywhere in an error's details (nested lines too)."""
    if isinstance(details, dict):
        return field in details or any(_names(value, field) for value in details.values())
    if isinstance(details, list):
        return any(_names(item, field) for item in details)
    return False


def _assert_refused_naming(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert _names(body["error"]["details"], field), body


# --- users ------------------------------------------------------------------------------

USER_FORBIDDEN = {
    "role": "admin",
    "is_staff": True,
    "isStaff": True,
    "is_superuser": True,
    "isSuperuser": True,
    "is_active": False,
    "isActive": False,
    "id": f"usr_{'a' * 32}",
    "createdAt": "2000-01-01T00:00:00Z",
    "updatedAt": "2000-01-01T00:00:00Z",
    "lastLogin": "2000-01-01T00:00:00Z",
    "password": "chosen-by-the-attacker",
    "groups": [1],
    "user_permissions": [1],
}


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(("field", "value"), USER_FORBIDDEN.items(), ids=list(USER_FORBIDDEN))
def test_a_customer_cannot_set_a_protected_field_of_their_own_account(
    customer, customer_client, method, field, value
):
    before = User.objects.filter(pk=customer.pk).values().get()

    response = getattr(customer_client, method)(
        f"/v1/users/usr_{customer.id.hex}", {"name": "New Name", field: value}, format="json"
    )

    _assert_refused_naming(response, field)
    assert User.objects.filter(pk=customer.pk).values().get() == before


@pytest.mark.parametrize("field", [name for name in USER_FORBIDDEN if name != "role"])
def test_an_admin_cannot_set_fields_outside_the_profile_either(customer, admin_client_api, field):
    before = User.objects.filter(pk=customer.pk).values().get()

    response = admin_client_api.patch(
        f"/v1/users/usr_{customer.id.hex}", {field: USER_FORBIDDEN[field]}, format="json"
    )

    _assert_refused_naming(response, field)
    assert User.objects.filter(pk=customer.pk).values().get() == before


def test_an_admin_may_change_a_role(customer, admin_client_api):
    response = admin_client_api.patch(
        f"/v1/users/usr_{customer.id.hex}", {"role": "admin"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.is_admin and customer.is_staff


def test_a_customer_naming_the_role_they_already_have_is_still_refused(customer, customer_client):
    # Refused by who asks, not by the value: a probe learns nothing.
    response = customer_client.patch(
        f"/v1/users/usr_{customer.id.hex}", {"role": "customer"}, format="json"
    )

    _assert_refused_naming(response, "role")


@pytest.mark.parametrize("field", ["role", "is_staff", "isSuperuser", "id", "createdAt"])
def test_registration_refuses_privileged_fields(db, field):
    body = {
        "email": "mallory@example.com",
        "password": "a-long-passphrase-77",
        "name": "Mallory",
        field: USER_FORBIDDEN.get(field, "admin"),
    }

    response = APIClient().post("/v1/auth/register", body, format="json")

    _assert_refused_naming(response, field)
    assert not User.objects.filter(email="mallory@example.com").exists()


def test_login_refuses_extra_fields(customer, password):
    response = APIClient().post(
        "/v1/auth/login",
        {"email": customer.email, "password": password, "role": "admin"},
        format="json",
    )

    _assert_refused_naming(response, "role")


# --- orders -----------------------------------------------------------------------------

ORDER_FORBIDDEN = {
    "id": f"ord_{'a' * 32}",
    "userId": f"usr_{'a' * 32}",
    "status": "paid",
    "subtotal": 0.01,
    "total": 0.01,
    "currency": "XXX",
    "payment": {"status": "captured", "amount": 0.01},
    "createdAt": "2000-01-01T00:00:00Z",
}
LINE_FORBIDDEN = {
    "price": 0.01,
    "unitPrice": 0.01,
    "lineTotal": 0.01,
    "name": "Free",
    "stock": 1_000_000,
}


@pytest.mark.parametrize(("field", "value"), ORDER_FORBIDDEN.items(), ids=list(ORDER_FORBIDDEN))
def test_an_order_refuses_fields_the_server_decides(product, customer_client, field, value):
    body = order_body(f"prod_{product.id.hex}", **{field: value})

    response = customer_client.post("/v1/orders", body, format="json")

    _assert_refused_naming(response, field)
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 50


@pytest.mark.parametrize(("field", "value"), LINE_FORBIDDEN.items(), ids=list(LINE_FORBIDDEN))
def test_an_order_line_refuses_prices_and_stock(product, customer_client, field, value):
    body = order_body(f"prod_{product.id.hex}")
    body["items"][0][field] = value

    response = customer_client.post("/v1/orders", body, format="json")

    _assert_refused_naming(response, field)
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 50


def test_order_prices_come_from_the_catalog(product, customer_client):
    response = customer_client.post(
        "/v1/orders", order_body(f"prod_{product.id.hex}", 3), format="json"
    )

    order = response.json()["data"]
    assert order["items"][0]["unitPrice"] == 25.0
    assert order["total"] == 75.0
    assert order["status"] == "pending"


@pytest.mark.parametrize("field", ["total", "items", "userId", "payment", "paymentMethod"])
def test_an_admin_status_change_refuses_other_order_fields(customer_order, admin_client_api, field):
    response = admin_client_api.patch(
        f"/v1/orders/{customer_order['id']}",
        {"status": "shipped", field: ORDER_FORBIDDEN.get(field, "x")},
        format="json",
    )

    _assert_refused_naming(response, field)
    assert Order.objects.get().status == "paid"


def test_an_admin_cannot_move_an_order_to_an_arbitrary_status(customer_order, admin_client_api):
    response = admin_client_api.patch(
        f"/v1/orders/{customer_order['id']}", {"status": "delivered"}, format="json"
    )

    assert response.status_code == 409
    assert Order.objects.get().status == "paid"


# --- payments and products --------------------------------------------------------------

REFUND_FORBIDDEN = {
    "status": "refunded",
    "capturedAmount": 1_000_000,
    "refundedAmount": 0,
    "currency": "XXX",
    "paymentId": f"pay_{'a' * 32}",
}


@pytest.mark.parametrize(("field", "value"), REFUND_FORBIDDEN.items(), ids=list(REFUND_FORBIDDEN))
def test_a_refund_refuses_payment_amounts_and_statuses(
    customer_order, admin_client_api, field, value
):
    payment_id = customer_order["payment"]["id"]

    response = admin_client_api.post(
        f"/v1/payments/{payment_id}/refund", {"amount": 1, field: value}, format="json"
    )

    _assert_refused_naming(response, field)
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("captured", Decimal("0"))


def test_a_refund_never_exceeds_what_was_captured(customer_order, admin_client_api):
    payment_id = customer_order["payment"]["id"]

    response = admin_client_api.post(
        f"/v1/payments/{payment_id}/refund", {"amount": 1_000_000}, format="json"
    )

    assert response.status_code == 409
    assert Payment.objects.get().refunded_amount == Decimal("0")


@pytest.mark.parametrize("field", ["id", "createdAt", "updatedAt", "deletedAt", "searchVector"])
def test_a_product_write_refuses_server_fields(product, admin_client_api, field):
    response = admin_client_api.patch(
        f"/v1/products/prod_{product.id.hex}", {field: "2000-01-01T00:00:00Z"}, format="json"
    )

    _assert_refused_naming(response, field)


# --- no secret in any response ----------------------------------------------------------

FORBIDDEN_KEYS = {
    "password",
    "passwordHash",
    "password_hash",
    "hash",
    "salt",
    "jti",
    "fam",
    "family",
    "secret",
    "signingKey",
    "paymentToken",
    "payment_token",
    "providerReference",
    "provider_reference",
    "failureMessage",
    "idempotencyKey",
    "isSuperuser",
    "is_superuser",
    "searchVector",
    "deletedAt",
}
WEBHOOK_SECRET = "whsec-test-only-9f8e7d6c5b4a"
STRIPE_WEBHOOK_SECRET = "whsec_stripe-test-only-4e5f6a7b"
METRICS_TOKEN = "metrics-test-only-1a2b3c4d"
BARE_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _webhook_request(payment_id: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": "evt_walk",
            "type": "charge.succeeded",
            "data": {"paymentId": payment_id, "reference": "ch_walk"},
        }
    ).encode()
    return body, webhook_signature(WEBHOOK_SECRET, int(time.time()), body)


def _stripe_webhook_request() -> tuple[bytes, str]:
    """A signed Stripe event of a type the shop records without acting on."""
    body = json.dumps(
        {"id": "evt_walk_stripe", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    return body, stripe.WebhookSignature.generate_signature_header(
        body.decode(), STRIPE_WEBHOOK_SECRET
    )


def _walk(
    client: APIClient, ids: dict[str, str], who: str, user: User | None, spare_order: str
) -> list:
    """Call every route once with a body that gets past validation; the responses.

    Each route also gets a missing id. ``spare_order`` is cancelled, so that the
    customer's order is still paid when it is refunded and shipped.
    """
    session = token_pair_issue(user=user) if user is not None else None
    refreshed = token_pair_issue(user=user) if user is not None else None
    bodies = {
        ("auth/register", "POST"): {
            "email": f"walker-{who}@example.com",
            "password": "a-long-passphrase-77",
            "name": "Walker",
        },
        ("auth/login", "POST"): {"email": "customer@example.com", "password": "wrong-password"},
        ("auth/refresh", "POST"): {"refreshToken": refreshed.refresh if refreshed else "x"},
        ("auth/logout", "POST"): {"refreshToken": session.refresh if session else "x"},
        ("auth/password/change", "POST"): {
            "currentPassword": "wrong-password",
            "newPassword": "another-long-passphrase",
        },
        ("auth/password/reset", "POST"): {"email": "customer@example.com"},
        ("auth/password/reset/confirm", "POST"): {
            "token": "bad.token",
            "newPassword": "another-long-passphrase",
        },
        ("users/<str:user_id>", "PATCH"): {"name": "Walked"},
        ("users/<str:user_id>", "PUT"): {"name": "Walked"},
        ("products", "POST"): {"name": f"Walk {who}", "price": 5, "category": "walk"},
        # The product has two variants (customer_ids): its name, not its stock.
        ("products/<str:id_or_slug>", "PATCH"): {"name": f"Walked {who}"},
        ("products/<str:id_or_slug>", "PUT"): {"name": f"Walked {who}"},
        ("products/<str:id_or_slug>/variants", "POST"): {"options": {"Size": "M"}, "price": 5},
        ("products/<str:id_or_slug>/variants/<str:variant_id>", "PATCH"): {"stock": 40},
        ("categories", "POST"): {"name": f"Walk {who}"},
        ("categories/<str:slug>", "PATCH"): {"name": f"Walked {who}"},
        ("orders", "POST"): order_body(ids["variant_id"]),
        ("orders/<str:order_id>", "PATCH"): {"status": "shipped"},
        ("payments/<str:payment_id>/refund", "POST"): {"amount": 1, "reason": "walk"},
        ("products/<str:id_or_slug>/media/<str:media_id>", "PATCH"): {"alt": "Walked"},
        ("checkout/quote", "POST"): {
            "items": [{"variantId": ids["variant_id"], "quantity": 1}],
            "shippingAddress": order_body(ids["variant_id"])["shippingAddress"],
        },
        ("shipping-methods", "POST"): {"name": f"Walk {who}", "countries": ["US"], "price": 5},
        ("shipping-methods/<str:method_id>", "PATCH"): {"name": f"Walked {who}"},
        ("tax-rates", "POST"): {"name": f"Walk {who}", "country": "DE", "rate": 19},
        ("tax-rates/<str:rate_id>", "PATCH"): {"rate": 12.5},
        ("discount-codes", "POST"): {"code": f"WALK-{who}", "kind": "free_shipping"},
        ("discount-codes/<str:code_id>", "PATCH"): {"active": False},
    }
    responses: list[tuple[Any, str, Any]] = []
    # Reads first, then writes, then the session's end and deletions, so each
    # call finds its object and its session alive.
    rank = {"GET": 0, "POST": 1, "PATCH": 1, "PUT": 1, "DELETE": 3}
    last = {
        ("auth/logout", "POST"): 2,
        ("auth/logout-all", "POST"): 2,
        # Before the product's own deletion, which takes its variants with it.
        ("products/<str:id_or_slug>/variants/<str:variant_id>", "DELETE"): 2,
        # After its media's deletion, which needs the product in the catalog.
        ("products/<str:id_or_slug>", "DELETE"): 4,
    }
    for route in sorted(api_routes(), key=lambda r: last.get(r.key, rank[r.method])):
        own_ids = ids
        if route.key == ("orders/<str:order_id>/cancel", "POST"):
            own_ids = {**ids, "order_id": spare_order}
        for path_ids in (own_ids, MISSING_IDS):
            path = route_path(route, path_ids)
            if route.key == ("payments/webhook", "POST"):
                body, signature = _webhook_request(ids["payment_id"])
                response = client.post(
                    path, body, content_type="application/json", HTTP_X_SIGNATURE=signature
                )
            elif route.key == ("payments/webhook/stripe", "POST"):
                body, signature = _stripe_webhook_request()
                response = client.post(
                    path, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
                )
            elif route.method in ("GET", "DELETE"):
                response = getattr(client, route.method.lower())(path)
            elif route.key in MULTIPART_ROUTES:
                response = client.post(path, multipart_body(), format="multipart")
            else:
                body = bodies.get(route.key, {})
                response = getattr(client, route.method.lower())(path, body, format="json")
            responses.append((route, path, response))
            if "<" not in route.template:
                break  # no object in the path: once is enough
    # And the error paths around the routes.
    responses.append(
        (None, "malformed", client.post("/v1/orders", "{", content_type="application/json"))
    )
    responses.append((None, "unknown", client.get("/v1/no-such-route")))
    responses.append((None, "options", client.options("/v1/orders")))
    return responses


@pytest.fixture
def spare_order(place_order, customer_client) -> str:
    return place_order(customer_client)["id"]


@pytest.fixture
def secrets_in_play(settings, customer, other_customer, admin_user, customer_order) -> dict:
    settings.PAYMENT_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.METRICS_TOKEN = METRICS_TOKEN
    Payment.objects.update(
        provider_reference="ch_provider_secret_ref_123", payment_token="tok_visa_secret"
    )
    return {"customer": customer, "other": other_customer, "admin": admin_user}


def _secret_values(exclude_user: User | None) -> list[str]:
    values = [
        settings.SECRET_KEY,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        WEBHOOK_SECRET,
        STRIPE_WEBHOOK_SECRET,
        METRICS_TOKEN,
        "ch_provider_secret_ref_123",
        "tok_visa_secret",
    ]
    for user in User.objects.all():
        values.append(user.password)  # the hash
        values.append(user.password.split("$")[-1])
    for family in TokenFamily.objects.all():
        values.append(str(family.id))
        values.append(family.id.hex)
        if family.user_id != getattr(exclude_user, "pk", None):
            values.append(family.current_jti)
    return [value for value in values if value]


@pytest.mark.parametrize("who", ["anonymous", "customer", "admin"])
def test_no_response_of_any_route_holds_a_secret(who, secrets_in_play, customer_ids, spare_order):
    user = secrets_in_play.get(who)
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=user).access}")
    # Another user's live session: its tokens must never show up in this walk.
    others = [u for u in (secrets_in_play["other"], secrets_in_play["admin"]) if u != user]
    other_tokens = [token_pair_issue(user=other) for other in others]

    responses = _walk(client, customer_ids, who, user, spare_order)

    secrets = _secret_values(user)
    secrets += [token for pair in other_tokens for token in (pair.access, pair.refresh)]
    for route, path, response in responses:
        text = response.content.decode() + json.dumps(dict(response.headers))
        label = f"{route} {path} -> {response.status_code}"
        for secret in secrets:
            assert secret not in text, f"{label} leaks a secret"
        assert not BARE_UUID.search(response.content.decode()), f"{label} leaks a raw id"
        if response.get("Content-Type", "").startswith("application/json") and response.content:
            leaked = _keys(response.json()) & FORBIDDEN_KEYS
            assert not leaked, f"{label} has {leaked}"


def test_the_walk_reaches_every_route_with_a_success(secrets_in_play, customer_ids, spare_order):
    # Guards the walk itself: an admin gets a 2xx from every route but the
    # deliberately failing auth calls, so the bodies inspected are real ones.
    admin = secrets_in_play["admin"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=admin).access}")

    responses = _walk(client, customer_ids, "admin", admin, spare_order)

    expected_to_fail = {
        ("auth/login", "POST"),
        ("auth/password/change", "POST"),
        ("auth/password/reset/confirm", "POST"),
    }
    succeeded = {
        route.key for route, path, response in responses if route and response.status_code < 300
    }
    assert succeeded == {route.key for route in api_routes()} - expected_to_fail


def test_user_objects_have_exactly_the_contract_fields(customer, customer_client):
    data = customer_client.get("/v1/users/me").json()["data"]

    assert set(data) == {
        "id",
        "email",
        "name",
        "phone",
        "role",
        "createdAt",
        "updatedAt",
        "lastLogin",
    }


def test_a_product_never_shows_internal_fields(product, product_media):
    data = APIClient().get(f"/v1/products/prod_{product.id.hex}").json()["data"]

    assert set(data) == {
        "id",
        "name",
        "slug",
        "description",
        "price",
        "priceMax",
        "currency",
        "category",
        "stock",
        "images",
        "media",
        "options",
        "variants",
        "createdAt",
        "updatedAt",
    }
    assert set(data["variants"][0]) == {"id", "sku", "options", "price", "stock", "weight"}
    # A media shows its URLs, never its storage names, attempts or timestamps.
    (media,) = data["media"]
    assert set(media) == {
        "id",
        "alt",
        "position",
        "width",
        "height",
        "status",
        "error",
        "url",
        "renditions",
    }
    assert Product._meta.get_field("search_vector")  # exists in the table, never on the wire
