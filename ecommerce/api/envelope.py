"""The contract's envelope, in one place: ``{success, data}`` and ``{success, error}``.

Every JSON answer under /v1 is built here, whichever layer writes it: the DRF
renderer, the exception handler, the error-page middleware, Django's fallback
views, and the views that render their own bytes (cached catalog reads,
idempotent replays).
"""

import dataclasses
from decimal import Decimal
from typing import Any

import orjson
from django.http import HttpRequest

from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.errors import ErrorCode

API_PREFIX = "/v1"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class Envelope(dict):
    """A response body that is already enveloped (lists, errors): rendered as is."""


def success_body(data: Any, **extra: Any) -> Envelope:
    """``{success: true, data}``, plus ``pagination`` or any other top-level member."""
    return Envelope(success=True, data=data, **extra)


def error_body(code: ErrorCode | str, message: str | None = None, details: Any = None) -> Envelope:
    """``{success: false, error: {code, message, details}}``; the code's own message
    when none is given. Domain data in ``details`` (dataclasses) is written with
    the API's camelCase names and public ids."""
    if message is None:
        message = ErrorCode(str(code)).message  # type: ignore[call-arg]  # a lookup by value
    return Envelope(
        success=False,
        error={"code": code, "message": message, "details": _wire(details) if details else {}},
    )


def render_json(data: Any) -> bytes:
    # Non-string keys: DRF reports errors of list items keyed by their index.
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(f"{API_PREFIX}/")


def is_api(request: HttpRequest) -> bool:
    return is_api_path(request.path)


def _default(value: Any) -> Any:
    # Money leaves Python as Decimal; JSON has only numbers. A quantized
    # Decimal("299.99") becomes the float 299.99, whose shortest repr is exact.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _wire(value: Any) -> Any:
    """Domain data as the API writes it: a dataclass's fields in camelCase, an id
    field (``metadata={"public_id": "product"}``) as its public id."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        written = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            kind = field.metadata.get("public_id")
            written[camel_case(field.name)] = (
                public_id(PREFIXES[kind], item) if kind else _wire(item)
            )
        return written
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
