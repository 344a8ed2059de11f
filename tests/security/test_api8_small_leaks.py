"""API8 security misconfiguration: the small leaks the review listed.

``POST /metrics`` answered Django's HTML CSRF page; ``/admin/`` and
``/v1/docs`` had no Content-Security-Policy; the payment webhook had no
throttle; an order's ``quantity`` took ``"2"`` and ``1.0`` although the schema
says integer. (gunicorn's HTML 400 and its ``Server`` header are the web
role's: tests/security/test_api8_web_front.py.)
"""

import shutil

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory
from ecommerce.content_security_policy_middleware import ADMIN_POLICY, API_POLICY, DOCS_POLICY
from tests.security.conftest import order_body

pytestmark = pytest.mark.django_db


# --- the plain views outside /v1 --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/metrics", "/health", "/ready"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_plain_view_is_an_enveloped_405_not_the_csrf_page(path, method):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path, "{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


# --- Content-Security-Policy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/admin/login/", ADMIN_POLICY),
        ("/v1/docs", DOCS_POLICY),
        ("/v1/docs/", DOCS_POLICY),
        ("/v1/products", API_POLICY),
        ("/v1/no-such-route", API_POLICY),
        ("/health", API_POLICY),
    ],
)
def test_every_page_and_answer_carries_its_policy(path, policy):
    response = Client().get(path)

    assert response["Content-Security-Policy"] == policy


def test_the_page_policies_allow_no_inline_or_foreign_script_and_no_framing():
    for policy in (ADMIN_POLICY, DOCS_POLICY):
        directives = dict(part.split(" ", 1) for part in policy.split("; "))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


def test_the_docs_page_has_no_inline_script_or_style():
    html = Client().get("/v1/docs").content.decode()

    assert "<style" not in html
    assert "<script>" not in html
    assert '<script src="/v1/docs?script=' in html


def test_the_docs_start_up_script_is_served_as_javascript():
    response = Client().get("/v1/docs?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no Chromium or Chrome to run the pages in (.ci/run installs chromium)")


@pytest.mark.drill
@pytest.mark.django_db(transaction=True)
def test_docs_and_admin_work_under_their_policy_in_a_real_browser(web_role, settings):
    """Swagger UI renders and runs a request, the admin's pages and widgets work,
    and the browser reports no policy violation and no script error."""
    from playwright.sync_api import sync_playwright

    # A hash the server checks (the tests' own MD5 hasher is not in its settings).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    AdminFactory(email="root@example.com", is_superuser=True)
    server = web_role(workers=2)
    base = f"http://127.0.0.1:{server.port}"
    problems: list[str] = []

    def watch(page) -> None:
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if "CSP-VIOLATION" in message.text else None
            ),
        )
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', event => console.error("
            "'CSP-VIOLATION ' + event.violatedDirective + ' ' + event.blockedURI));"
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_browser(), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            docs = browser.new_page()
            watch(docs)
            docs.goto(f"{base}/v1/docs")
            docs.wait_for_selector(".opblock", timeout=30_000)
            docs.locator(".opblock-summary-path", has_text="/v1/products").first.click()
            docs.get_by_role("button", name="Try it out").first.click()
            docs.get_by_role("button", name="Execute").first.click()
            status = docs.locator(".live-responses-table tbody .response-col_status").first
            status.wait_for(timeout=30_000)
            assert status.inner_text().strip() == "200"
            # The page's own styles came from its file, not an inline block.
            assert docs.evaluate("getComputedStyle(document.body).margin") == "0px"

            admin = browser.new_page()
            watch(admin)
            admin.goto(f"{base}/admin/login/")
            admin.fill("#id_username", "root@example.com")
            admin.fill("#id_password", "correct-horse-battery-staple")
            admin.click("input[type=submit]")
            admin.wait_for_url(f"{base}/admin/")
            # The dashboard's figures are styled from their file, not an inline block.
            assert (
                admin.evaluate("getComputedStyle(document.getElementById('dashboard')).display")
                == "flex"
            )
            admin.goto(f"{base}/admin/accounts/user/")
            admin.locator("#result_list tbody a").first.click()
            admin.wait_for_selector("#user_form")
            # Widgets the admin's scripts build: the two-list group and permission pickers.
            assert admin.locator(".selector").count() == 2
            admin.goto(f"{base}/admin/catalog/product/add/")
            admin.wait_for_selector("#product_form")
        finally:
            browser.close()

    assert problems == []


# --- the webhook's throttle -----------------------------------------------------------------


def test_the_webhook_is_throttled_per_client_before_its_signature_is_checked(settings):
    settings.WEBHOOK_RATE_LIMIT = "3/minute"
    client = APIClient()

    statuses = [
        client.post("/v1/payments/webhook", {"id": "evt", "type": "x"}, format="json").status_code
        for _ in range(5)
    ]

    assert statuses == [400, 400, 400, 429, 429]


# --- order quantity: a JSON integer -------------------------------------------------------


@pytest.mark.parametrize("quantity", ["2", 1.0, 2.0, True, "1e0"], ids=repr)
def test_an_order_quantity_that_is_not_a_json_integer_is_refused(
    quantity, customer_client, product
):
    body = order_body(f"prod_{product.id.hex}")
    body["items"][0]["quantity"] = quantity

    response = customer_client.post("/v1/orders", body, format="json")

    assert response.status_code == 400, response.content
    assert "quantity" in response.json()["error"]["details"]["items"][0]


def test_the_schema_says_quantity_is_an_integer():
    schema = APIClient().get("/v1/schema", {"format": "json"}).json()

    line = schema["components"]["schemas"]["OrderLineInputRequest"]["properties"]["quantity"]
    assert line["type"] == "integer"
