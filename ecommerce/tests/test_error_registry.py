"""The error registry (ecommerce.errors) is the one list every layer takes its codes from."""

import importlib
import re
import uuid
from pathlib import Path

from django.conf import settings

from ecommerce.api import schema
from ecommerce.api.envelope import error_body, render_json
from ecommerce.errors import ApplicationError, ErrorCode

ROOT = Path(settings.BASE_DIR)


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _import_every_errors_module() -> None:
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "bench", "docker", "k8s"}:
            continue
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        if "ApplicationError" in path.read_text() or relative.name == "errors.py":
            importlib.import_module(".".join(relative.with_suffix("").parts))


def test_the_schema_publishes_every_code_of_the_registry_in_its_order():
    description = schema._ERROR_SCHEMA["properties"]["error"]["properties"]["code"]["description"]
    assert re.findall(r"`([a-z_]+)` (\d{3})", description) == [
        (code.value, str(code.status)) for code in ErrorCode
    ]


def test_every_code_has_an_example_message_in_the_schema():
    assert set(schema._EXAMPLE_MESSAGES) == set(ErrorCode)


def test_the_readme_error_table_lists_the_registry():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Errors", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, flags=re.MULTILINE)
    assert rows == [(code.value, str(code.status)) for code in ErrorCode]


def test_a_bare_status_stands_for_one_code():
    assert ErrorCode.of_status(400) is ErrorCode.BAD_REQUEST
    assert ErrorCode.of_status(401) is ErrorCode.NOT_AUTHENTICATED
    assert ErrorCode.of_status(404) is ErrorCode.NOT_FOUND
    assert ErrorCode.of_status(429) is ErrorCode.RATE_LIMITED
    assert ErrorCode.of_status(503) is ErrorCode.SERVICE_UNAVAILABLE
    # A status no code is marked for: the class's generic code.
    assert ErrorCode.of_status(418) is ErrorCode.BAD_REQUEST
    assert ErrorCode.of_status(502) is ErrorCode.SERVER_ERROR
    for code in ErrorCode:
        if code.for_status:
            assert ErrorCode.of_status(code.status) is code


def test_every_domain_error_carries_a_registered_code_and_its_status():
    _import_every_errors_module()
    errors = _all_subclasses(ApplicationError)
    # The apps' own errors are all seen (one of each app at least).
    modules = {cls.__module__.split(".")[0] for cls in errors}
    assert {"accounts", "catalog", "orders", "payments", "checkout", "ecommerce"} <= modules
    for cls in errors:
        assert isinstance(cls.code, ErrorCode), cls
        error = cls.__new__(cls)
        assert error.status == cls.code.status, cls


def test_domain_data_in_details_is_written_in_camel_case_with_public_ids():
    from catalog.errors import InsufficientStock, ShortLine

    product, variant = uuid.uuid4(), uuid.uuid4()
    exc = InsufficientStock([ShortLine(product, variant, "TEE-S", requested=3, available=1)])
    assert exc.lines[0].product_id == product
    body = error_body(exc.code, exc.message, exc.details)
    item = body["error"]["details"]["items"][0]
    assert item["productId"].startswith("prod_") and item["variantId"].startswith("var")
    assert {key: item[key] for key in ("sku", "requested", "available")} == {
        "sku": "TEE-S",
        "requested": 3,
        "available": 1,
    }
    assert b'"code":"insufficient_stock"' in render_json(body)
