"""drf-spectacular hooks: the schema describes what goes over the wire."""

import re
from typing import Any

from ecommerce.api.pagination import PARAM_MAX
from ecommerce.errors import ErrorCode

ERROR_COMPONENT = "ErrorEnvelope"
# The documented error codes and their statuses: the registry, in its order.
ERROR_CODES = [(code.value, code.status) for code in ErrorCode]
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": (
                        "Stable snake_case error code: "
                        + ", ".join(f"`{code}` {status}" for code, status in ERROR_CODES)
                        + "."
                    ),
                    "example": "validation_error",
                },
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        },
    },
}
# A representative message per code, for the examples Swagger UI shows.
_EXAMPLE_MESSAGES = {
    "validation_error": "Invalid input.",
    "invalid_json": "The request body is not valid JSON.",
    "invalid_signature": "The webhook signature is missing, stale or does not match.",
    "bad_request": "The request could not be processed.",
    "not_authenticated": "Authentication credentials were not provided.",
    "invalid_credentials": "Invalid email or password.",
    "token_invalid": "Token is invalid or expired.",
    "payment_failed": "The provider refused the refund; nothing was refunded.",
    "permission_denied": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "method_not_allowed": 'Method "DELETE" not allowed.',
    "not_acceptable": "Could not satisfy the request Accept header.",
    "conflict": "The request conflicts with the current state of the resource.",
    "insufficient_stock": "Not enough stock for some items.",
    "idempotency_request_in_progress": "A request with this Idempotency-Key is still running.",
    "payload_too_large": "The request body is too large.",
    "unsupported_media_type": "Unsupported media type in the request.",
    "idempotency_key_reused": "This Idempotency-Key was already used with a different body.",
    "rate_limited": "Request was throttled. Expected available in 42 seconds.",
    "server_error": "An unexpected error occurred.",
    "service_unavailable": "The service is temporarily unavailable. Please retry shortly.",
}
_EXAMPLE_DETAILS = {
    "validation_error": {"email": ["This field is required."]},
    "insufficient_stock": {
        "items": [{"productId": "prod_" + "0" * 24 + "1" * 8, "requested": 3, "available": 1}]
    },
}
_CODES_BY_STATUS: dict[str, list[str]] = {}
for _code, _status in ERROR_CODES:
    _CODES_BY_STATUS.setdefault(str(_status), []).append(_code)


def error_examples(status: str, description: str) -> dict:
    """OpenAPI ``examples`` of the error envelope for one response.

    The codes the description names (``(conflict)``), or the status's first
    code: a 401 shows ``not_authenticated``, a 429 ``rate_limited``, not the
    component's generic example.
    """
    codes = _CODES_BY_STATUS.get(status, [])
    named = [code for code in codes if re.search(rf"\b{code}\b", description or "")]
    return {
        code: {
            "summary": code,
            "value": {
                "success": False,
                "error": {
                    "code": code,
                    "message": _EXAMPLE_MESSAGES.get(code, ""),
                    "details": _EXAMPLE_DETAILS.get(code, {}),
                },
            },
        }
        for code in named or codes[:1]
    }


# Errors any operation can answer; 401 and 403 only where auth is involved.
_ERRORS_ALWAYS = {
    "400": "Invalid input (validation_error, invalid_json).",
    "405": "Method not allowed (method_not_allowed).",
    "429": "Rate limited (rate_limited).",
    "500": "Unexpected error (server_error).",
    "503": "A backing service is down (service_unavailable).",
}
_ERRORS_AUTH = {
    "401": "Missing or invalid credentials (not_authenticated, token_invalid).",
    "403": "Not allowed (permission_denied).",
}


# Headers every /v1 response carries (see ecommerce.request_id_middleware and
# ecommerce.ratelimit.headers_middleware).
_RESPONSE_HEADERS = {
    "X-Request-ID": {
        "description": "The request's id: echoed when the client sent one, generated otherwise.",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the current window.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "Seconds until the current window ends.",
        "schema": {"type": "integer"},
    },
}


def drop_trailing_slash_duplicates(endpoints: list[tuple]) -> list[tuple]:
    """Every route is mounted with and without a trailing slash; document one."""
    return [endpoint for endpoint in endpoints if not endpoint[0].endswith("/")]


def wrap_in_envelope(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Wrap 2xx JSON bodies in ``{success, data}`` and document the error envelope."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    error_ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _describe_query_parameters(operation)
            _require_body_with_required_fields(operation)
            responses = operation["responses"]
            for status, response in responses.items():
                if not status.startswith("2"):
                    continue
                content = response.get("content", {}).get("application/json")
                if content and "schema" in content and not _is_enveloped(content["schema"]):
                    content["schema"] = {
                        "type": "object",
                        "required": ["success", "data"],
                        "properties": {
                            "success": {"type": "boolean", "enum": [True]},
                            "data": content["schema"],
                        },
                    }
            errors = dict(_ERRORS_ALWAYS)
            if "requestBody" in operation:
                errors["413"] = "Request body over MAX_BODY_BYTES (payload_too_large)."
            if operation.get("security") != [{}] and any(
                "jwtAuth" in requirement for requirement in operation.get("security", [])
            ):
                errors.update(_ERRORS_AUTH)
            for status, description in errors.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
            for status, response in responses.items():
                if status[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": error_ref}}
                media = response.get("content", {}).get("application/json", {})
                if media.get("schema") == error_ref and "examples" not in media:
                    examples = error_examples(status, response.get("description", ""))
                    if examples:
                        media["examples"] = examples
                response.setdefault("headers", {}).update(_RESPONSE_HEADERS)
                if status in ("429", "503"):
                    response["headers"]["Retry-After"] = {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer"},
                    }
    return result


def _describe_query_parameters(operation: dict) -> None:
    """What the query parsers do, stated once for every list.

    ``page`` and ``limit`` are 1 to PARAM_MAX (ecommerce.api.pagination),
    otherwise 400; views declare them with their own descriptions. An optional
    parameter sent empty (``?sort=``) counts as not sent, as DRF reads form-style
    input and as ``parse_page_params`` does: ``allowEmptyValue``.
    """
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        if parameter.get("name") in ("page", "limit"):
            parameter.setdefault("schema", {"type": "integer"}).update(
                {"minimum": 1, "maximum": PARAM_MAX}
            )
        if not parameter.get("required"):
            parameter["allowEmptyValue"] = True


def _require_body_with_required_fields(operation: dict) -> None:
    """A body given as a raw schema (not a serializer) is required when it has required fields.

    drf-spectacular marks only serializer bodies as required; without it, a
    client is told it may send nothing where the server answers 400.
    """
    body = operation.get("requestBody")
    if not body or "required" in body:
        return
    schemas = [media.get("schema", {}) for media in body.get("content", {}).values()]
    if schemas and all(_has_required_fields(schema) for schema in schemas):
        body["required"] = True


def _has_required_fields(schema: dict) -> bool:
    # A oneOf (e.g. the order status move) requires a body when every branch does.
    if "oneOf" in schema:
        return all(_has_required_fields(branch) for branch in schema["oneOf"])
    return bool(schema.get("required"))


def _is_enveloped(schema: dict) -> bool:
    return "success" in schema.get("properties", {})
