"""Property-based fuzzing of the whole API with schemathesis, on a live server.

The schema is the project's own (GET /v1/schema from the running server).
Every operation is fuzzed twice: with a customer's token and with an admin's.
Each generated request must get:

- no 5xx (``not_a_server_error``);
- a documented status code, media type, headers and body
  (``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance``, ``response_schema_conformance``);
- valid data accepted, invalid data refused, auth enforced
  (``positive_data_acceptance``, ``negative_data_rejection``, ``ignored_auth``,
  ``missing_required_header``, ``unsupported_method``...): schemathesis's
  default set, all enabled;
- every 4xx in the error envelope ``{"success": false, "error": {code,
  message, details}}`` (``error_envelope``, below), whatever the schema says.

Budget: ``FUZZ_EXAMPLES`` random examples per operation and identity in the
fuzzing phase (default 5: the bounded run of ``make test``); ``make fuzz
FUZZ_EXAMPLES=500`` goes deeper. The examples phase and the coverage phase
(boundary values, each constraint broken in turn, undeclared methods) always
run in full: they are deterministic and most of the requests.
The seed is fixed (``FUZZ_SEED``, default below) and generation is
deterministic, so CI reproduces a failure exactly.

Realistic data: the generated requests reach real objects part of the time.
``flatmap_case`` swaps path ids for seeded users, orders, payments and
products, order lines for real products, refresh tokens for live ones, and
signs webhook bodies with the server's secret, so the fuzzer gets past the
404s and the signature check into the code behind them.

Forgiven, narrowly (``_keep_failure``): refusals the contract prescribes for
reasons JSON Schema cannot state (a wrong current password, an unknown
product, Django's e-mail and URL validators...), and extra query parameters,
which the API ignores like most HTTP APIs. Every other failure is a finding.
"""

import json
import os
import re
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData

from payments.gateway import webhook_signature
from tests.fuzz.conftest import STATS, FuzzServer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "20240508"))
IDENTITIES = ["customer", "admin"]

schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schemathesis.check
def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """The API contract: every 4xx is {"success": false, "error": {code, message, details}}."""
    if not 400 <= response.status_code < 500:
        return None
    problem = None
    try:
        body = json.loads(response.content)
    except ValueError:
        body, problem = None, f"the body is not JSON: {response.content[:200]!r}"
    if problem is None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("success") is not False:
            problem = f"`success` is not false: {body!r}"[:500]
        elif not isinstance(error, dict):
            problem = "`error` is not an object"
        elif not isinstance(error.get("code"), str) or not error["code"]:
            problem = "`error.code` is not a non-empty string"
        elif not isinstance(error.get("message"), str) or not error["message"]:
            problem = "`error.message` is not a non-empty string"
        elif not isinstance(error.get("details"), dict):
            problem = "`error.details` is not an object"
    if problem is not None:
        raise AssertionError(f"4xx outside the error envelope: {problem}")
    return None


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # The schema's own security scheme: schemathesis knows which requests
            # carry the token (and checks that protected operations refuse them
            # without it: ignored_auth).
            "auth": {"openapi": {"jwtAuth": {"bearer": token}}},
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                # Nothing carried over from earlier runs: CI and a laptop
                # generate the same cases.
                "database": "none",
            },
        }
    )


# Refusals of schema-valid requests that the contract prescribes for reasons
# JSON Schema cannot state: (operation, error code, fields the error may name).
# Only these are forgiven, and only to positive_data_acceptance; a 400 for any
# other reason, on any other field, still fails.
_DOCUMENTED_REFUSALS = {
    # Django's password validators: too short, too common, too similar, numeric.
    "POST /v1/auth/register": ("validation_error", {"password"}),
    # ... and the current password must be the right one.
    "POST /v1/auth/password/change": ("validation_error", {"currentPassword", "newPassword"}),
    # ... and the reset token must be one the server issued, unused and unexpired.
    "POST /v1/auth/password/reset/confirm": ("validation_error", {"token", "newPassword"}),
    # The body must carry a valid HMAC of itself in X-Signature.
    "POST /v1/payments/webhook": ("invalid_signature", set()),
    # ... and Stripe's in Stripe-Signature (the fuzz server has no Stripe secret).
    "POST /v1/payments/webhook/stripe": ("invalid_signature", set()),
}
# Contract, Payments: card numbers are never accepted; a string of 13 to 19
# digits passing the Luhn check anywhere in an order body is refused (400).
_CARD_REFUSAL = ["Card numbers are never accepted."]
_USER_WRITES = {"PUT /v1/users/{user_id}", "PATCH /v1/users/{user_id}"}
_PRODUCT_WRITES = {
    "POST /v1/products",
    "PUT /v1/products/{id_or_slug}",
    "PATCH /v1/products/{id_or_slug}",
}
# Contract, Products: rules across fields and rows that JSON Schema cannot state.
# `price` is required without `variants` and refused with them (as are `stock`,
# `sku`, `weight`), and on a product with several variants; `options` need
# `variants`; a variant names exactly the product's options with one of their
# values and no two share a combination or a SKU; option names are distinct.
_VARIANT_RULES = re.compile(
    r"^(price|stock|sku|weight|options|variants"
    r"|options\[\d+\]\.(name|values)|variants\[\d+\](\.(options|sku|id|price))?)$"
)
_VARIANT_ROUTES = {
    "POST /v1/products/{id_or_slug}/variants",
    "PATCH /v1/products/{id_or_slug}/variants/{variant_id}",
}
# Contract, Categories: the parent must exist and never be the category itself or
# one of its descendants (and the tree nests at most 8 levels).
_CATEGORY_WRITES = {"POST /v1/categories", "PATCH /v1/categories/{slug}"}
# Contract, Orders: "Unknown or deleted product → 400 validation_error naming
# the line"; lines in two currencies are refused the same way.
_ORDER_LINE = re.compile(r"^items(\[\d+\])?$")
# An order and a quote price the basket alike (Checkout): besides its lines, a
# shipping method or a discount code the shop does not have, or that does not
# apply (expired, used up, below its minimum...), and an address no method
# serves are refused naming that field; which exist is the server's state.
_PRICED_BASKETS = {"POST /v1/orders", "POST /v1/checkout/quote"}
_CHECKOUT_FIELDS = {"shippingMethod", "discountCode", "shippingAddress.country"}
# Contract, Checkout, the pricing rules: rules across fields and rows. A
# shipping method's maxDays is at least its minDays; a tax rate's category and
# a code's categories must exist; a percentage or fixed code takes off more
# than 0 (a percentage at most 100), and its window ends after it starts.
_RULE_IDS = {"shipping-methods": "method_id", "tax-rates": "rate_id", "discount-codes": "code_id"}
_RULE_FIELDS = {
    "shipping-methods": {"maxDays"},
    "tax-rates": {"category"},
    "discount-codes": {"value", "endsAt", "categories"},
}
_RULE_WRITES = {
    f"{method} /v1/{path}": fields
    for route, fields in _RULE_FIELDS.items()
    for method, path in (("POST", route), ("PATCH", f"{route}/{{{_RULE_IDS[route]}}}"))
}


# Unknown query parameters and headers are ignored, as by most HTTP APIs (a
# cache-buster or a tracking parameter must not break a link); OpenAPI does not
# declare them forbidden, yet schemathesis counts sending them as invalid data.
_EXTRA_PARAMETER = re.compile(r"\b(query|header)\b.*`additionalProperties`")


def _only_extra_parameters(message: str) -> bool:
    """Whether the only thing wrong with an accepted request was extra parameters."""
    _, found, reasons = message.partition("Invalid component:")
    lines = [line.strip(" -") for line in reasons.splitlines() if line.strip(" -")]
    return bool(found and lines) and all(_EXTRA_PARAMETER.search(line) for line in lines)


def _number(query: dict | None, name: str) -> float:
    try:
        return float((query or {})[name])
    except (KeyError, TypeError, ValueError):
        return float("nan")  # compares false with anything


def _keep_failure(identity: str, context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False for a failure that is a documented behaviour, not a finding (see above)."""
    if isinstance(failure, AcceptedNegativeData):
        return not _only_extra_parameters(failure.message)
    if not isinstance(failure, RejectedPositiveData):
        return True
    try:
        error = json.loads(response.content)["error"]
        code, details = error["code"], dict(error["details"])
    except (ValueError, KeyError, TypeError):
        return True
    label = case.operation.label
    if (label, response.status_code, code) == ("POST /v1/orders", 422, "idempotency_key_reused"):
        # Contract: the same key with another body is 422. Which keys were used
        # before is the server's state, not the schema's.
        return False
    # Contract, Product media: the file's bytes must be a JPEG, PNG or WebP
    # (415), and one that decodes (400); `format: binary` is any bytes.
    image_refusals = {(415, "unsupported_media_type"), (400, "validation_error")}
    if (
        label == "POST /v1/products/{id_or_slug}/media"
        and set(details) == {"file"}
        and (response.status_code, code) in image_refusals
    ):
        return False
    if response.status_code != 400:
        return True
    if code == "validation_error" and details.get("email") == ["Enter a valid email address."]:
        # Django's EmailValidator (a domain with a TLD of 2 or more characters,
        # no bare IP...) is stricter than JSON Schema's `email`.
        del details["email"]
        if not details:
            return False
    fields = set(details)
    if label in _PRICED_BASKETS and code == "validation_error":
        if details and all(message == _CARD_REFUSAL for message in details.values()):
            return False
        return not all(_ORDER_LINE.match(field) or field in _CHECKOUT_FIELDS for field in fields)
    if label in _RULE_WRITES and code == "validation_error":
        return not fields <= _RULE_WRITES[label]
    if label in _USER_WRITES and identity != "admin" and code == "validation_error":
        # Contract, Users: `role` can be changed by an admin only (400 naming it).
        return fields != {"role"}
    if label == "POST /v1/payments/webhook" and code == "validation_error":
        # NUL anywhere in the event, even in parts the schema leaves free.
        return "NUL" not in json.dumps(details)
    if label in _PRODUCT_WRITES and code == "validation_error":
        # Image URLs go through Django's URLValidator (a host name with a TLD,
        # at most 253 characters...): more than JSON Schema's `uri` can say.
        return not all(field == "images" or _VARIANT_RULES.match(field) for field in fields)
    if label in _VARIANT_ROUTES and code == "validation_error":
        return not fields <= {"options", "price"}
    if label in _CATEGORY_WRITES and code == "validation_error":
        return fields != {"parent"}
    if label == "GET /v1/products" and fields == {"maxPrice"}:
        # Documented on maxPrice: at least minPrice. One field cannot bound another.
        return not _number(case.query, "minPrice") > _number(case.query, "maxPrice")
    documented = _DOCUMENTED_REFUSALS.get(label)
    return documented is None or not (code == documented[0] and fields <= documented[1])


# Image URLs: Django's URLValidator (a real host name of at most 253
# characters, a TLD...) is stricter than JSON Schema's `uri`; generate URLs a
# shop would store rather than every RFC 3986 string. Negative cases still
# send non-URLs.
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
schemathesis.openapi.format(
    "uri",
    st.builds(
        "{}://{}.{}/{}".format,
        st.sampled_from(["http", "https"]),
        st.lists(_LABEL, min_size=1, max_size=3).map(".".join),
        st.sampled_from(["com", "org", "io", "shop", "example"]),
        st.from_regex(r"[A-Za-z0-9._~/-]{0,60}", fullmatch=True),
    ),
)


@pytest.fixture(params=IDENTITIES)
def fuzz_identity(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fuzz_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def fuzz_schema(fuzz_server: FuzzServer, fuzz_identity: str):
    loaded = schemathesis.openapi.from_url(
        f"{fuzz_server.base_url}/v1/schema",
        config=_config(fuzz_server.data["tokens"][fuzz_identity]),
    )
    loaded.hook("flatmap_case")(partial(_realistic_case, fuzz_server, fuzz_identity))
    loaded.hook("filter_failure")(partial(_keep_failure, fuzz_identity))
    return loaded


# --- realistic data ------------------------------------------------------------------


def _path_ids(server: FuzzServer, identity: str, method: str, path: str) -> dict[str, list]:
    """Seeded ids per path parameter. The identities themselves are never edited
    (an admin demoting itself would end its run), and DELETE only gets products
    kept for it, so the catalog stays for the other operations."""
    data = server.data
    users = data["users"]
    if method in ("PUT", "PATCH") and identity == "admin":
        user_ids = users["others"]
    else:
        user_ids = [users["customer"], users["admin"], *users["others"]]
    product_ids = (
        data["disposableProducts"] if method == "DELETE" else data["products"] + data["slugs"]
    )
    categories = data["emptyCategories"] if method == "DELETE" else data["categories"]
    return {
        "slug": categories,
        "user_id": user_ids,
        "order_id": data["orders"]["customer"] + data["orders"]["others"],
        "payment_id": data["payments"]["customer"] + data["payments"]["others"],
        "id_or_slug": product_ids,
    }


def _realistic_case(server: FuzzServer, identity: str, context: Any, case: Any) -> Any:
    choice = st.fixed_dictionaries(
        {"real": st.integers(0, 2), "pick": st.integers(0, 1_000_000), "now": st.just(None)}
    )
    return choice.map(partial(_apply_realism, server, identity, case))


def _apply_realism(server: FuzzServer, identity: str, case: Any, choice: dict) -> Any:
    if choice["real"] == 0:
        return case  # as generated
    pick = choice["pick"]
    operation = case.operation
    method, path = operation.method.upper(), operation.path
    meta = case.meta
    if case.path_parameters:
        ids = _path_ids(server, identity, method, path)
        negative_path = bool(meta and meta.is_negative_at(ParameterLocation.PATH))
        for name in case.path_parameters:
            if name in ids and not negative_path:
                case.path_parameters[name] = ids[name][pick % len(ids[name])]
        if "variant_id" in case.path_parameters and not negative_path:
            # A variant under its own product, or the route only ever answers 404.
            product, variant = server.data["variants"][pick % len(server.data["variants"])]
            case.path_parameters.update(id_or_slug=product, variant_id=variant)
    body = case.body if isinstance(case.body, dict) else None
    body_is_negative = bool(meta and meta.is_negative_at(ParameterLocation.BODY))
    data = server.data
    if (method, path) == ("POST", "/v1/orders") and body and not body_is_negative:
        items = body.get("items")
        if isinstance(items, list):
            for offset, item in enumerate(items):
                if isinstance(item, dict) and "productId" in item:
                    item["productId"] = data["products"][(pick + offset) % len(data["products"])]
                if isinstance(item, dict) and "variantId" in item:
                    pairs = data["variants"]
                    item["variantId"] = pairs[(pick + offset) % len(pairs)][1]
        if choice["real"] == 2:
            tokens = ["tok_visa", "tok_chargeDeclined", "tok_processingError", "tok_gatewayDown"]
            body["paymentToken"] = tokens[pick % len(tokens)]
    elif path in ("/v1/auth/refresh", "/v1/auth/logout") and body and not body_is_negative:
        body["refreshToken"] = data["refreshTokens"][pick % len(data["refreshTokens"])]
    elif path == "/v1/auth/login" and body and not body_is_negative:
        body["email"] = data["emails"]["customer"]
        if choice["real"] == 2:
            body["password"] = data["password"]
    elif path == "/v1/payments/webhook" and meta and meta.generation.mode.is_positive:
        # Only where nothing was made invalid on purpose: a signature added to
        # a case meant to be refused would make it acceptable.
        if choice["real"] == 2:
            payments = data["payments"]["customer"] + data["payments"]["others"]
            kinds = ["charge.succeeded", "charge.failed", "charge.refunded"]
            case.body = {
                "id": f"evt_fuzz_{pick}",
                "type": kinds[pick % len(kinds)],
                "data": {"paymentId": payments[pick % len(payments)], "reference": f"ch_{pick}"},
            }
        _sign_webhook(server, case)
    return case


def _sign_webhook(server: FuzzServer, case: Any) -> None:
    """Sign the body as the provider would; requests sends ``json=`` as json.dumps."""
    try:
        raw = json.dumps(case.body, allow_nan=False).encode()
    except (TypeError, ValueError):
        return  # not JSON (e.g. binary): left unsigned, refused as such
    if case.headers is None:
        case.headers = {}
    case.headers["X-Signature"] = webhook_signature(server.webhook_secret, int(time.time()), raw)


# --- the fuzz tests --------------------------------------------------------------------


@pytest.mark.fuzz
# One live server per session: under pytest-xdist, both identities run on one worker.
@pytest.mark.xdist_group("fuzz")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, fuzz_server, fuzz_identity, fuzz_session):
    started = time.monotonic()
    try:
        response = case.call_and_validate(
            base_url=fuzz_server.base_url,
            session=fuzz_session,
            additional_checks=[error_envelope],
        )
        STATS.statuses[response.status_code] += 1
    finally:
        STATS.examples[(fuzz_identity, case.operation.label)] += 1
        STATS.access_log = fuzz_server.log_dir / "gunicorn.log"
        STATS.seconds += time.monotonic() - started
