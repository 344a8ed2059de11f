"""Fixtures of the security suite: a customer's objects, and requests by route."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ecommerce.api.ids import PREFIXES, public_id
from orders.tests.factories import order_body as orders_order_body
from tests.drills.support import service_env
from tests.processes import ApiServer, RedisServer
from tests.security.routes import Route

_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def order_body(product_id: str, quantity: int = 1, **extra: Any) -> dict:
    """An order of one line: ``product_id`` is a product's id, or a variant's (``var_…``)."""
    return orders_order_body((product_id, quantity), **extra)


@pytest.fixture
def product(db):
    """A product with a Size option sold, for now, in one size: orders may name it by
    its productId, and the variant routes have sizes left to add."""
    from catalog.tests.factories import product_with_variants

    return product_with_variants(
        name="Security Shirt",
        category="test",
        options={"Size": ["S", "M", "L"]},
        variants=[({"Size": "S"}, "25.00", 50)],
    )


@pytest.fixture
def place_order(product, django_capture_on_commit_callbacks) -> Callable[..., dict]:
    """``place_order(client, quantity=1)``: an order placed through the API; its data.

    Its charge job is queued (the test's transaction never commits, so the
    request's on-commit hooks are run by hand).
    """

    # By its variant: customer_ids gives the product a second one.
    small = product.variants.order_by("position").first()

    def place(client: APIClient, quantity: int = 1) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/v1/orders",
                order_body(public_id(PREFIXES["variant"], small.id), quantity),
                format="json",
            )
        assert response.status_code == 201, response.content
        return response.json()["data"]

    return place


@pytest.fixture
def customer_order(
    place_order, customer_client, run_jobs, django_capture_on_commit_callbacks
) -> dict:
    """The customer's order, paid (its payment captured by the job)."""
    order = place_order(customer_client)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_jobs() == 1
    order = customer_client.get(f"/v1/orders/{order['id']}").json()["data"]
    assert order["status"] == "paid", order
    return order


@pytest.fixture
def product_media(product):
    """A photo of the product (catalog.media), uploaded as staff would."""
    from catalog.media.services import media_create
    from catalog.media.tests.support import jpeg_bytes

    return media_create(product=product, data=jpeg_bytes())


@pytest.fixture
def customer_ids(customer, customer_order, product, product_media) -> dict[str, str]:
    """The public id of the customer's object behind each path parameter.

    The catalog's: the product, a photo of it, a second variant of it (so that deleting one
    leaves it one), and an empty category (so that deleting it is allowed).
    """
    from decimal import Decimal

    from catalog import services
    from checkout.models import DiscountCode, ShippingMethod, TaxRate

    large = services.variant_add(
        product=product, options={"Size": "L"}, price=Decimal("27"), stock=5
    )
    services.category_create(name="Spare", slug="spare")
    # The pricing rules staff manage (checkout); none of them is in use.
    method = ShippingMethod.objects.create(name="Rule", countries=["US"], price=Decimal("9"))
    rate = TaxRate.objects.create(name="Rule", country="NZ", rate=Decimal("15"))
    code = DiscountCode.objects.create(code="RULE", kind="free_shipping")
    return {
        "user_id": public_id(PREFIXES["user"], customer.id),
        "order_id": customer_order["id"],
        "payment_id": customer_order["payment"]["id"],
        "id_or_slug": public_id(PREFIXES["product"], product.id),
        "media_id": public_id(PREFIXES["media"], product_media.id),
        "variant_id": public_id(PREFIXES["variant"], large.id),
        "slug": "spare",
        "method_id": public_id(PREFIXES["shipping_method"], method.id),
        "rate_id": public_id(PREFIXES["tax_rate"], rate.id),
        "code_id": public_id(PREFIXES["discount_code"], code.id),
    }


# Ids of the right shape that belong to nothing.
MISSING_IDS = {
    "user_id": f"usr_{'0' * 31}1",
    "order_id": f"ord_{'0' * 31}1",
    "payment_id": f"pay_{'0' * 31}1",
    "id_or_slug": f"prod_{'0' * 31}1",
    "media_id": f"img_{'0' * 31}1",
    "variant_id": f"var_{'0' * 31}1",
    "slug": "no-such-category",
    "method_id": f"ship_{'0' * 31}1",
    "rate_id": f"tax_{'0' * 31}1",
    "code_id": f"disc_{'0' * 31}1",
}


def route_path(route: Route, ids: dict[str, str]) -> str:
    """The route's URL with each path parameter replaced by ``ids[parameter]``.

    A parameter this suite does not know fails loudly: a new kind of object
    route needs its ids added here (and so gets its authorization tested).
    """

    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in ids, f"{route}: no test id for path parameter {name!r}"
        return ids[name]

    return "/v1/" + _PARAMETER.sub(fill, route.template)


# A valid body for each write route that takes one, so a refusal is about who
# asks and not about what was sent.
BODIES: dict[tuple[str, str], dict] = {
    ("users/<str:user_id>", "PATCH"): {"name": "Changed Name"},
    ("users/<str:user_id>", "PUT"): {"name": "Changed Name"},
    ("orders/<str:order_id>", "PATCH"): {"status": "shipped"},
    ("payments/<str:payment_id>/refund", "POST"): {"amount": 1, "reason": "test"},
    ("products", "POST"): {"name": "Admin Only", "price": 10, "category": "test"},
    # The product has two variants once customer_ids ran: its name, not its price.
    ("products/<str:id_or_slug>", "PATCH"): {"name": "Renamed by an admin"},
    ("products/<str:id_or_slug>", "PUT"): {"name": "Renamed by an admin"},
    ("products/<str:id_or_slug>/variants", "POST"): {"options": {"Size": "M"}, "price": 26},
    ("products/<str:id_or_slug>/variants/<str:variant_id>", "PATCH"): {"price": 11},
    ("categories", "POST"): {"name": "Admin Only"},
    ("categories/<str:slug>", "PATCH"): {"name": "Renamed by an admin"},
    ("products/<str:id_or_slug>/media/<str:media_id>", "PATCH"): {"alt": "Changed"},
    ("shipping-methods", "POST"): {"name": "Admin Only", "countries": ["US"], "price": 5},
    ("shipping-methods/<str:method_id>", "PATCH"): {"name": "Renamed by an admin"},
    ("tax-rates", "POST"): {"name": "Admin Only", "country": "US", "rate": 5},
    ("tax-rates/<str:rate_id>", "PATCH"): {"rate": 12.5},
    ("discount-codes", "POST"): {"code": "ADMINONLY", "kind": "free_shipping"},
    ("discount-codes/<str:code_id>", "PATCH"): {"active": False},
}
# Write routes that take multipart/form-data instead of JSON.
MULTIPART_ROUTES = {("products/<str:id_or_slug>/media", "POST")}


def multipart_body() -> dict:
    from catalog.media.tests.support import jpeg_bytes

    return {"file": SimpleUploadedFile("photo.jpg", jpeg_bytes(), content_type="image/jpeg")}


def call(client: APIClient, route: Route, path: str, body: dict | None = None):
    body = BODIES.get(route.key, {}) if body is None else body
    method = getattr(client, route.method.lower())
    if route.method in ("GET", "DELETE"):
        return method(path)
    if route.key in MULTIPART_ROUTES:
        return method(path, multipart_body(), format="multipart")
    return method(path, body, format="json")


# --- The image's web role, live -------------------------------------------------------------


@pytest.fixture(scope="module")
def web_role(django_db_setup, tmp_path_factory) -> Iterator[Callable[..., ApiServer]]:
    """``web_role(**env)``: ``docker/entrypoint.sh web`` (nginx in front of gunicorn)
    with production settings and ``env``, on the test database and a Redis of
    its own; one server per distinct ``env``, shared by the module's tests.

    What the servers commit stays; tests that write use ``transactional_db``.
    """
    redis_server = RedisServer.on_free_port()
    servers: dict[tuple, ApiServer] = {}

    def get(*, workers: int = 1, **env: str) -> ApiServer:
        key = (workers, *sorted(env.items()))
        if key not in servers:
            log_dir = tmp_path_factory.mktemp("web-role")
            server = ApiServer(
                log_dir=log_dir,
                env=service_env(redis_url=redis_server.url, **env),
                workers=workers,
                web_role=True,
            )
            servers[key] = server
            server.start()
        return servers[key]

    get.redis = redis_server  # type: ignore[attr-defined]
    try:
        yield get
    finally:
        for server in servers.values():
            server.stop()
        redis_server.stop()
